/**
 * The chapter's study end to end, on one task, data set and split: the random-forest baseline over seeds, the
 * network with the book's defaults over seeds (one population), the searches (the book's grids and random search,
 * and an adaptive stage: TPE with asynchronous successive halving on populations), then the honest part: the best
 * configuration found is trained again with fresh seeds, and only those runs are set against the forest — on
 * weighted accuracy (the book's score) and on ROC-AUC. Returns plain data; the CLI prints it, the report draws it.
 */
import type { Backend } from '../backend/backend.ts';
import type { AdapterSummary } from '../gpu/adapter-info.ts';
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { RandomForest } from '../forest/forest.ts';
import type { ForestOptions } from '../forest/options.ts';
import { BOOK_FOREST, runTaskBaseline, type ForestFitter, type TaskBaseline } from '../forest/tox21-baseline.ts';
import { PRESETS, type PresetName } from '../hpo/presets.ts';
import { createPruner, type PrunerName } from '../hpo/pruners/index.ts';
import type { StudySearchResult } from '../hpo/runner.ts';
import { createSampler, type SamplerName } from '../hpo/samplers/index.ts';
import { meanSd, type Evaluator, type TrialOutcome } from '../hpo/search.ts';
import { parseSpaceText } from '../hpo/space-text.ts';
import { gridPoints, paramText, type SearchSpace, type TrialParams } from '../hpo/space.ts';
import type { Objective, TrialRecord } from '../hpo/trial.ts';
import { evalTox21Population, type FcnResult } from './eval-hyperparams.ts';
import { BOOK_DEFAULTS, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import { retrain, runTox21Search, SPACE_ALIASES, type Retrained } from './search.ts';
import { configOf } from './trial-pool.ts';

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

export interface StudyPlan {
  name: 'quick' | 'default' | 'full';
  task: string;
  forestSeeds: number[];
  networkSeeds: number[];
  /** Overrides of the book's defaults for every network run (quick runs fewer epochs). */
  networkBase: Partial<FcnHyperparams>;
  searches: StudySearchPlan[];
  /** Fresh seeds for the best configuration's retraining (none of them searched with). */
  retrainSeeds: number[];
  objective: Objective;
}

/** The adaptive stage's space: the book's hyperparameters and wider, in modern training (as the Optuna peer). */
export const ADAPTIVE_SPACE = 'lr=log:1e-4:1e-2,hidden=30|50|100|200,layers=1|2,keep=0.2:1.0,batch=100|200,epochs=45';

const preset = (p: PresetName, sampler: SamplerName, reps: number, trials?: number): StudySearchPlan => ({ label: p, space: PRESETS[p], sampler, pruner: 'none', reps, trials });
const adaptive = (trials: number, timeoutSeconds: number): StudySearchPlan => ({
  label: 'adaptive', space: parseSpaceText(ADAPTIVE_SPACE, { aliases: SPACE_ALIASES }), sampler: 'tpe', pruner: 'asha', minEpochs: 3, reduction: 3,
  trials, timeoutSeconds, reps: 1, mode: 'modern',
});
const VALID_WACC: Objective = { name: 'valid-wacc', direction: 'maximize' };

export const PLANS: Record<StudyPlan['name'], StudyPlan> = {
  quick: {
    name: 'quick', task: 'NR-AR', forestSeeds: [0, 1, 2], networkSeeds: [0, 1], networkBase: { nEpochs: 10 }, objective: VALID_WACC, retrainSeeds: [100, 101],
    searches: [{ ...preset('simple', 'grid', 1), space: { ...PRESETS.simple, nEpochs: { kind: 'choice', values: [3] } } }],
  },
  default: {
    name: 'default', task: 'NR-AR', forestSeeds: [0, 1, 2, 3, 4], networkSeeds: [0, 1, 2], networkBase: {}, objective: VALID_WACC, retrainSeeds: [100, 101, 102, 103, 104],
    searches: [adaptive(60, 240)],
  },
  full: {
    name: 'full', task: 'NR-AR', forestSeeds: [0, 1, 2, 3, 4], networkSeeds: [0, 1, 2], networkBase: {}, objective: VALID_WACC, retrainSeeds: [100, 101, 102, 103, 104],
    searches: [preset('simple', 'grid', 3), preset('hidden', 'grid', 3), preset('random-lr', 'random', 3, 10), preset('challenge', 'random', 3, 20), adaptive(200, 600)],
  },
};

export interface StudySearch extends StudySearchResult {
  plan: StudySearchPlan;
}

export interface Scores {
  wacc: { mean: number; sd: number };
  auc: { mean: number; sd: number };
}

export interface StudyResult {
  plan: StudyPlan;
  adapter: AdapterSummary;
  data: { source: string; rows: number; split: { kind: string; train: number; valid: number; test: number }; featurizeSeconds: number; cached: boolean };
  forest: { runs: (TaskBaseline & { seed: number })[]; valid: { mean: number; sd: number }; test: { mean: number; sd: number }; validScores: Scores; testScores: Scores };
  network: { runs: FcnResult[]; valid: { mean: number; sd: number }; test: { mean: number; sd: number }; population: number };
  searches: StudySearch[];
  /** The best configuration of all searches (by the objective on validation), trained again with fresh seeds. */
  retrained: Retrained | null;
  /** The book's challenge, decided on the retrained runs against the forest, on both metrics. */
  verdict: {
    params: TrialParams | null;
    searched: number;
    valid: Scores;
    test: Scores;
    forest: { valid: Scores; test: Scores };
    beatsForest: { wacc: boolean; auc: boolean };
  };
  seconds: { forest: number; network: number; search: number; retrain: number; total: number };
}

export type StudyEvent =
  | { kind: 'stage'; stage: 'forest' | 'network' | 'search' | 'retrain'; total: number; label: string }
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

export async function runStudy({ be, data, plan, forestFit, population, onEvent }: StudyInput): Promise<StudyResult> {
  const t0 = performance.now();
  const emit = onEvent ?? (() => {});
  const { dataset, split } = data;
  const fit: ForestFitter = forestFit ?? ((x, y, o) => RandomForest.fit(x, y, o));

  emit({ kind: 'stage', stage: 'forest', total: plan.forestSeeds.length, label: `random forest (${BOOK_FOREST.nEstimators} trees, balanced) on ${plan.task}` });
  const forestRuns: (TaskBaseline & { seed: number })[] = [];
  for (const seed of plan.forestSeeds) {
    const opts: ForestOptions = { ...BOOK_FOREST, seed };
    forestRuns.push({ ...(await runTaskBaseline(dataset, split, plan.task, { forest: opts, labeledOnly: false }, fit)), seed });
    emit({ kind: 'step', done: forestRuns.length, total: plan.forestSeeds.length, label: `forest seed ${seed}` });
  }
  const t1 = performance.now();

  emit({ kind: 'stage', stage: 'network', total: plan.networkSeeds.length, label: `network with the book's defaults on ${plan.task}, ${plan.networkSeeds.length} seeds at once` });
  const h = { ...BOOK_DEFAULTS, ...plan.networkBase };
  let doneRuns = 0;
  const netRuns = await evalTox21Population(be, data, plan.networkSeeds.map((seed) => ({ h, mode: 'book' as const, seed, task: plan.task })), {
    maxModels: population,
    onResult: (r) => emit({ kind: 'step', done: ++doneRuns, total: plan.networkSeeds.length, label: `network seed ${r.seed}` }),
  });
  const t2 = performance.now();

  const searches: StudySearch[] = [];
  for (const s of plan.searches) {
    const total = s.trials ?? (s.sampler === 'grid' ? gridPoints(s.space).length : 10);
    emit({ kind: 'stage', stage: 'search', total, label: `${s.sampler} search "${s.label}" (pruner ${s.pruner}): ${total} configurations × ${s.reps} seeds${s.timeoutSeconds ? ` or ${s.timeoutSeconds} s` : ''}` });
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
    searches.push({ ...r, plan: s });
  }
  const t3 = performance.now();

  // The best of all searches, chosen on validation; retrained with seeds no search used.
  const candidates = searches.flatMap((s) => (s.best ? [{ best: s.best, plan: s.plan }] : []));
  const chosen = candidates.sort((a, b) => objectiveOf(b.best, plan.objective) - objectiveOf(a.best, plan.objective))[0] ?? null;
  let retrained: Retrained | null = null;
  if (chosen) {
    emit({ kind: 'stage', stage: 'retrain', total: plan.retrainSeeds.length, label: `retraining the best configuration (${paramText(chosen.best.params)}) with ${plan.retrainSeeds.length} fresh seeds` });
    retrained = await retrain(be, data, chosen.best.params, { task: plan.task, base: { ...plan.networkBase, ...chosen.plan.base }, mode: chosen.plan.mode, seeds: plan.retrainSeeds });
    emit({ kind: 'step', done: plan.retrainSeeds.length, total: plan.retrainSeeds.length, label: `valid ${retrained.valid.wacc.mean.toFixed(3)} ± ${retrained.valid.wacc.sd.toFixed(3)}` });
  }
  const t4 = performance.now();

  const forestScores = (s: 'valid' | 'test'): Scores => ({ wacc: meanSd(forestRuns.map((r) => r.metrics[s].weightedAccuracy)), auc: meanSd(forestRuns.map((r) => r.metrics[s].rocAuc).filter(Number.isFinite)) });
  const fv = forestScores('valid'), ft = forestScores('test');
  return {
    plan,
    adapter: be.info,
    data: {
      source: data.report.source, rows: data.report.rows,
      split: { kind: data.report.split?.kind ?? 'index', train: split.train.length, valid: split.valid.length, test: split.test.length },
      featurizeSeconds: data.report.seconds.featurize, cached: data.report.cached,
    },
    forest: { runs: forestRuns, valid: fv.wacc, test: ft.wacc, validScores: fv, testScores: ft },
    network: {
      runs: netRuns, valid: meanSd(netRuns.map((r) => r.metrics.valid.weightedAccuracy)), test: meanSd(netRuns.map((r) => r.metrics.test.weightedAccuracy)),
      population: Math.max(...netRuns.map((r) => r.population ?? 1)),
    },
    searches,
    retrained,
    verdict: {
      params: chosen?.best.params ?? null,
      searched: chosen ? objectiveOf(chosen.best, plan.objective) : Number.NaN,
      valid: retrained ? retrained.valid : { wacc: NONE, auc: NONE },
      test: retrained ? retrained.test : { wacc: NONE, auc: NONE },
      forest: { valid: fv, test: ft },
      beatsForest: {
        wacc: !!retrained && retrained.valid.wacc.mean > fv.wacc.mean,
        auc: !!retrained && retrained.valid.auc.mean > fv.auc.mean,
      },
    },
    seconds: { forest: (t1 - t0) / 1000, network: (t2 - t1) / 1000, search: (t3 - t2) / 1000, retrain: (t4 - t3) / 1000, total: (t4 - t0) / 1000 },
  };
}

function objectiveOf(t: TrialRecord, o: Objective): number {
  const v = t.values[o.name];
  return Number.isFinite(v) ? (o.direction === 'maximize' ? v : -v) : -Infinity;
}

/**
 * The classic search's evaluator (src/hpo/search.ts: a batch of (params, seed) runs): trains the batch as
 * populations, grouped by the step's shape. Scores are valid/test weighted accuracy; ROC-AUC and loss curves ride
 * in `detail`.
 */
export function tox21Evaluator(be: Backend, data: { dataset: MoleculeDataset; split: DataSplit }, task: string, base: Partial<FcnHyperparams> = {},
  opts: { maxModels?: number; onEpoch?: (e: { epoch: number; loss: Float64Array; models: number[]; runs: { params: TrialParams; seed: number }[] }) => void } = {}): Evaluator {
  // onEpoch: loss[m] is the loss of runs[m] (the batch's entries in the population's slot order).
  return async (batch: { params: TrialParams; seed: number }[]): Promise<TrialOutcome[]> => {
    const runs = batch.map(({ params, seed }) => {
      const { h, mode } = configOf(params, base);
      return { h, mode, seed, task };
    });
    const results = await evalTox21Population(be, data, runs, {
      maxModels: opts.maxModels,
      onEpoch: opts.onEpoch && ((e) => opts.onEpoch!({ epoch: e.epoch, loss: e.loss, models: e.models, runs: e.runs.map((i) => batch[i]) })),
    });
    return results.map((r) => ({
      status: r.status,
      valid: r.metrics.valid.weightedAccuracy,
      test: r.metrics.test.weightedAccuracy,
      detail: { validAuc: r.metrics.valid.rocAuc, testAuc: r.metrics.test.rocAuc, lossCurve: r.lossCurve, seconds: r.seconds.train, hyperparameters: r.hyperparameters, population: r.population },
      ...(r.status === 'failed' ? { error: r.reason ?? 'the loss became NaN or infinite' } : {}),
    }));
  };
}
