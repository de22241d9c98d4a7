/**
 * The chapter's study end to end: the random-forest baseline, the network with the book's defaults over several
 * seeds, and a hyperparameter search, all on the same data and split — the book's challenge is a network whose
 * mean validation weighted accuracy beats the forest's. Returns plain data; the CLI prints it and the report draws it.
 */
import type { Backend } from '../backend/backend.ts';
import type { AdapterSummary } from '../gpu/adapter-info.ts';
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { RandomForest } from '../forest/forest.ts';
import type { ForestOptions } from '../forest/options.ts';
import { BOOK_FOREST, runTaskBaseline, type ForestFitter, type TaskBaseline } from '../forest/tox21-baseline.ts';
import { PRESETS, type PresetName } from '../hpo/presets.ts';
import { meanSd, runSearch, type SearchResult, type TrialOutcome } from '../hpo/search.ts';
import { paramText, type SearchSpace, type TrialParams } from '../hpo/space.ts';
import { gridSearch, randomSearch, type Strategy } from '../hpo/strategy.ts';
import { evalTox21Hyperparams, type FcnResult } from './eval-hyperparams.ts';
import { BOOK_DEFAULTS, type FcnHyperparams } from './hyperparams.ts';

export interface StudyPlan {
  name: 'quick' | 'default' | 'full';
  task: string;
  forestSeeds: number[];
  networkSeeds: number[];
  /** Overrides of the book's defaults for every network run (quick runs fewer epochs). */
  networkBase: Partial<FcnHyperparams>;
  searches: { preset: PresetName | 'custom'; strategy: 'grid' | 'random'; trials?: number; reps: number; space?: SearchSpace; base?: Partial<FcnHyperparams> }[];
}

export const PLANS: Record<StudyPlan['name'], StudyPlan> = {
  quick: {
    name: 'quick', task: 'NR-AR', forestSeeds: [0, 1, 2], networkSeeds: [0, 1], networkBase: { nEpochs: 10 },
    searches: [{ preset: 'simple', strategy: 'grid', reps: 1, space: { ...PRESETS.simple, nEpochs: { kind: 'choice', values: [3] } } }],
  },
  default: {
    name: 'default', task: 'NR-AR', forestSeeds: [0, 1, 2], networkSeeds: [0, 1, 2], networkBase: {},
    searches: [{ preset: 'challenge', strategy: 'random', trials: 12, reps: 2 }],
  },
  full: {
    name: 'full', task: 'NR-AR', forestSeeds: [0, 1, 2], networkSeeds: [0, 1, 2], networkBase: {},
    searches: [
      { preset: 'simple', strategy: 'grid', reps: 3 },
      { preset: 'hidden', strategy: 'grid', reps: 3 },
      { preset: 'random-lr', strategy: 'random', trials: 10, reps: 3 },
      { preset: 'challenge', strategy: 'random', trials: 20, reps: 3 },
    ],
  },
};

export interface StudyResult {
  plan: StudyPlan;
  adapter: AdapterSummary;
  data: { source: string; rows: number; split: { train: number; valid: number; test: number }; featurizeSeconds: number; cached: boolean };
  forest: { runs: (TaskBaseline & { seed: number })[]; valid: { mean: number; sd: number }; test: { mean: number; sd: number } };
  network: { runs: FcnResult[]; valid: { mean: number; sd: number }; test: { mean: number; sd: number } };
  searches: (SearchResult & { preset: string; reps: number })[];
  /** The best searched configuration by mean validation score, against the forest. */
  verdict: { params: TrialParams | null; valid: number; test: number; forestValid: number; beatsForest: boolean };
  seconds: { forest: number; network: number; search: number; total: number };
}

export type StudyEvent =
  | { kind: 'stage'; stage: 'forest' | 'network' | 'search'; total: number; label: string }
  | { kind: 'step'; done: number; total: number; label: string };

export interface StudyInput {
  be: Backend;
  data: { dataset: MoleculeDataset; split: DataSplit; report: { source: string; rows: number; seconds: { featurize: number }; cached: boolean } };
  plan: StudyPlan;
  forestFit?: ForestFitter;
  onEvent?: (e: StudyEvent) => void;
}

export async function runStudy({ be, data, plan, forestFit, onEvent }: StudyInput): Promise<StudyResult> {
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

  emit({ kind: 'stage', stage: 'network', total: plan.networkSeeds.length, label: `network with the book's defaults on ${plan.task}` });
  const netRuns: FcnResult[] = [];
  for (const seed of plan.networkSeeds) {
    netRuns.push(await evalTox21Hyperparams(be, data, { ...plan.networkBase, task: plan.task, seed, mode: 'book' }));
    emit({ kind: 'step', done: netRuns.length, total: plan.networkSeeds.length, label: `network seed ${seed}` });
  }
  const t2 = performance.now();

  const searches: StudyResult['searches'] = [];
  for (const s of plan.searches) {
    const space = s.space ?? PRESETS[s.preset as PresetName];
    const strategy: Strategy & { total: number } = s.strategy === 'grid' ? gridSearch(space) : randomSearch(space, s.trials ?? 10, 1);
    emit({ kind: 'stage', stage: 'search', total: strategy.total, label: `${s.strategy} search "${s.preset}", ${strategy.total} configurations × ${s.reps} seeds` });
    const result = await runSearch({
      strategy,
      reps: s.reps,
      evaluate: tox21Evaluator(be, data, plan.task, { ...plan.networkBase, ...s.base }),
      onTrial: (t, done) => emit({ kind: 'step', done, total: strategy.total, label: `${paramText(t.params)} → ${t.status === 'ok' ? t.valid.mean.toFixed(3) : 'failed'}` }),
    });
    searches.push({ ...result, preset: s.preset, reps: s.reps });
  }
  const t3 = performance.now();

  const forestValid = meanSd(forestRuns.map((r) => r.metrics.valid.weightedAccuracy));
  const bests = searches.map((s) => s.best).filter((b) => b !== null);
  const best = bests.sort((a, b) => b.valid.mean - a.valid.mean)[0] ?? null;
  return {
    plan,
    adapter: be.info,
    data: { source: data.report.source, rows: data.report.rows, split: { train: split.train.length, valid: split.valid.length, test: split.test.length }, featurizeSeconds: data.report.seconds.featurize, cached: data.report.cached },
    forest: { runs: forestRuns, valid: forestValid, test: meanSd(forestRuns.map((r) => r.metrics.test.weightedAccuracy)) },
    network: { runs: netRuns, valid: meanSd(netRuns.map((r) => r.metrics.valid.weightedAccuracy)), test: meanSd(netRuns.map((r) => r.metrics.test.weightedAccuracy)) },
    searches,
    verdict: {
      params: best?.params ?? null,
      valid: best?.valid.mean ?? Number.NaN,
      test: best?.test.mean ?? Number.NaN,
      forestValid: forestValid.mean,
      beatsForest: best !== null && best.valid.mean > forestValid.mean,
    },
    seconds: { forest: (t1 - t0) / 1000, network: (t2 - t1) / 1000, search: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
  };
}

/** Trains each (params, seed) (the book's training unless params.mode says 'modern'); scores are valid/test weighted accuracy. */
export function tox21Evaluator(be: Backend, data: { dataset: MoleculeDataset; split: DataSplit }, task: string, base: Partial<FcnHyperparams> = {}) {
  return async (batch: { params: TrialParams; seed: number }[]): Promise<TrialOutcome[]> => {
    const out: TrialOutcome[] = [];
    for (const { params, seed } of batch) {
      // `mode` may be searched too (book or modern training); everything else is a hyperparameter of the network.
      const { mode = 'book', ...hp } = params;
      if (mode !== 'book' && mode !== 'modern') throw new RangeError(`search parameter mode must be book or modern, got ${String(mode)}`);
      const h = { ...BOOK_DEFAULTS, ...base, ...(hp as Partial<FcnHyperparams>) };
      const r = await evalTox21Hyperparams(be, data, { ...h, task, seed, mode });
      out.push({
        status: r.status,
        valid: r.metrics.valid.weightedAccuracy,
        test: r.metrics.test.weightedAccuracy,
        detail: { validAuc: r.metrics.valid.rocAuc, testAuc: r.metrics.test.rocAuc, lossCurve: r.lossCurve, seconds: r.seconds.train, hyperparameters: h },
        ...(r.status === 'failed' ? { error: 'the loss became NaN or infinite' } : {}),
      });
    }
    return out;
  };
}
