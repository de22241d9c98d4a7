/**
 * Hyperparameter search over the book's network: the generic search loop (src/hpo/runner.ts: a sampler, a pruner,
 * trial records) with Tox21 trial pools, so configurations that share a step's shape train as one population and a
 * pruned trial's slot is refilled at the next epoch. `population: 1` trains each run alone, one after another (the
 * sequential path, for comparison). After the search, `retrain` trains a configuration again with fresh seeds —
 * the honest estimate of the chosen configuration, free of the selection's optimism.
 */
import type { Backend } from '../backend/backend.ts';
import { renewIfLost } from '../backend/create.ts';
import type { Pruner } from '../hpo/pruners/pruner.ts';
import { runStudySearch, type StudyEvent, type StudySearchResult, type StudySink, type TrialSource } from '../hpo/runner.ts';
import type { Sampler } from '../hpo/samplers/sampler.ts';
import type { SearchSpace, TrialParams } from '../hpo/space.ts';
import type { Objective, TrialRecord } from '../hpo/trial.ts';
import { meanSd, type MeanSd } from '../stats/mean-sd.ts';
import { defaultPopulation, evalTox21Population, modelsThatFit, type FcnResult, type PackingStats } from './eval-hyperparams.ts';
import type { FcnHyperparams, TrainingMode } from './hyperparams.ts';
import type { Tox21Data } from './population.ts';
import { configOf, poolsPacking, Tox21TrialPool } from './trial-pool.ts';

/** Short names the command line may use in --space, and the network's hyperparameters they stand for. */
export const SPACE_ALIASES: Record<string, string> = {
  lr: 'learningRate', hidden: 'nHidden', layers: 'nLayers', keep: 'keepProb', batch: 'batchSize', epochs: 'nEpochs', weighted: 'weightPositives',
  wd: 'weightDecay', early: 'earlyStopping',
};

export interface Tox21SearchOptions {
  space: SearchSpace;
  sampler: Sampler;
  pruner?: Pruner;
  objective: Objective;
  reps: number;
  seed0: number;
  nTrials?: number;
  timeoutSeconds?: number;
  /** A task name, or 'all' for one multitask network per trial (values: means over the tasks, and each task's as "valid-auc/NR-AR"). */
  task: string;
  /** Hyperparameters every configuration starts from (the book's defaults where absent). */
  base?: Partial<FcnHyperparams>;
  /** Training mode of configurations whose space has no `mode`. */
  mode?: TrainingMode;
  /** Most models trained at once (1: each run alone). Default: `searchPopulation(be)`, less if memory says so. */
  population?: number;
  initialTrials?: readonly TrialRecord[];
  sink?: StudySink;
  /** A stored study's trial source (store-search.ts): new trials come from the store instead of the sampler. */
  source?: TrialSource;
  onEvent?: (e: StudyEvent) => void;
}

/** The widest hidden layer any configuration of the space (or the base) may ask for. */
export function widestHidden(space: SearchSpace, base: Partial<FcnHyperparams> = {}): number {
  const s = space.nHidden;
  if (!s) return base.nHidden ?? 50;
  if (s.kind === 'choice') return Math.max(...s.values.map(Number));
  return Math.ceil(s.high);
}

/** How many step shapes (layers × batch × weighting × mode × init) the space can produce: one live pool each. */
export function shapeCount(space: SearchSpace): number {
  let n = 1;
  for (const k of ['nLayers', 'batchSize', 'weightPositives', 'mode', 'init']) {
    const s = space[k];
    if (!s) continue;
    n *= s.kind === 'choice' ? s.values.length : s.kind === 'int' ? s.high - s.low + 1 : 8;
  }
  return Math.max(1, Math.min(8, n));
}

/**
 * The population: the most models trained at once, `--population` on the command line. Its default is worked out
 * here and only here for the search, the study and the retraining (the adapter's, from defaultPopulation).
 */
export function searchPopulation(be: Backend, population?: number): number {
  const chosen = population ?? defaultPopulation(be);
  if (!Number.isInteger(chosen) || chosen < 1) throw new RangeError(`--population must be a positive integer, got ${chosen}`);
  return chosen;
}

/**
 * The search's result, with the backend it ended on: after a lost GPU device the pools are made on a new one
 * (renewIfLost) and the old one is disposed, so callers go on with `backend`.
 */
export async function runTox21Search(be: Backend, data: Tox21Data, o: Tox21SearchOptions): Promise<StudySearchResult & { packing: PackingStats; backend: Backend }> {
  const base = o.base ?? {};
  const population = searchPopulation(be, o.population);
  const solo = population === 1;
  const width = widestHidden(o.space, base);
  const pools: Tox21TrialPool[] = [];
  let cur = be;
  const result = await runStudySearch({
    space: o.space,
    sampler: o.sampler,
    pruner: o.pruner,
    objective: o.objective,
    reps: o.reps,
    seed0: o.seed0,
    nTrials: o.nTrials,
    timeoutSeconds: o.timeoutSeconds,
    epochs: (params: TrialParams) => configOf(params, base, o.mode).h.nEpochs,
    makePool: async (params: TrialParams) => {
      cur = await renewIfLost(cur); // a new device after a loss; throws DeviceLostError when none can be had
      const { h, mode } = configOf(params, base, o.mode);
      const w = Math.max(width, h.nHidden);
      // A pool holds at least one trial's seeds; with populations as many as fit, at most `population`.
      const capacity = solo ? o.reps : Math.max(o.reps, Math.min(population, modelsThatFit(cur, data.dataset, { h: { ...h, nHidden: w }, mode, seed: 0, task: o.task }, w)));
      const pool = new Tox21TrialPool(cur, data, params, { task: o.task, base, mode: o.mode, capacity, width: w, dataSeed: o.seed0, solo, objective: o.objective.name });
      pools.push(pool);
      return pool;
    },
    maxPools: solo ? 1 : shapeCount(o.space),
    initialTrials: o.initialTrials,
    sink: o.sink,
    source: o.source,
    onEvent: o.onEvent,
  });
  // Models trained in one set of dispatches (the runner counts members per pool step, solo ones included).
  return { ...result, population: Math.max(0, ...pools.map((p) => p.models)), packing: poolsPacking(pools), backend: cur };
}

export interface Retrained {
  params: TrialParams;
  seeds: number[];
  runs: FcnResult[];
  /** Mean and sd over the seeds, per split and metric. */
  valid: { wacc: MeanSd; auc: MeanSd };
  test: { wacc: MeanSd; auc: MeanSd };
}

export interface RetrainOptions {
  task: string;
  base?: Partial<FcnHyperparams>;
  mode?: TrainingMode;
  seeds: number[];
  /** Most models trained at once, as in the search (`--population`); default `searchPopulation(be)`. */
  population?: number;
}

/** Trains `params` again with fresh seeds (populations of at most `population` models) and summarizes them. */
export async function retrain(be: Backend, data: Tox21Data, params: TrialParams, o: RetrainOptions): Promise<Retrained> {
  const { h, mode } = configOf(params, o.base ?? {}, o.mode);
  const maxModels = searchPopulation(be, o.population);
  const runs = await evalTox21Population(be, data, o.seeds.map((seed) => ({ h, mode, seed, task: o.task })), { dataSeed: o.seeds[0], maxModels });
  const stat = (split: 'valid' | 'test', k: 'weightedAccuracy' | 'rocAuc') => meanSd(runs.filter((r) => r.status === 'ok').map((r) => r.metrics[split][k]));
  return {
    params, seeds: o.seeds, runs,
    valid: { wacc: stat('valid', 'weightedAccuracy'), auc: stat('valid', 'rocAuc') },
    test: { wacc: stat('test', 'weightedAccuracy'), auc: stat('test', 'rocAuc') },
  };
}
