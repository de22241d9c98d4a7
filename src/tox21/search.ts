/**
 * Hyperparameter search over the book's network: the generic search loop (src/hpo/runner.ts: a sampler, a pruner,
 * trial records) with Tox21 trial pools, so configurations that share a step's shape train as one population and a
 * pruned trial's slot is refilled at the next epoch. `population: 1` trains each run alone, one after another (the
 * sequential path, for comparison). On the float32 CPU backend, where a population's step costs about its members'
 * solo steps, a pool's members are spread over worker threads instead (sharded-trial-pool.ts; Node only, with two
 * or more threads): the same trial records, bit for bit, in less time (the book's hidden grid: 1.6-1.8× on 2 cores).
 * After the search, `retrain` trains a configuration again with fresh seeds — the honest estimate of the chosen
 * configuration, free of the selection's optimism; it trains in-process (evalTox21Population), not on the threads.
 */
import type { Backend } from '../backend/backend.ts';
import { renewIfLost } from '../backend/create.ts';
import type { Pruner } from '../hpo/pruners/pruner.ts';
import { runStudySearch, type StudyEvent, type StudySearchResult, type StudySink, type TrialSource } from '../hpo/runner.ts';
import type { Sampler } from '../hpo/samplers/sampler.ts';
import type { SearchSpace, TrialParams } from '../hpo/space.ts';
import type { Objective, TrialPool, TrialRecord } from '../hpo/trial.ts';
import { meanSd, type MeanSd } from '../stats/mean-sd.ts';
import { MODELS_PER_THREAD, populationThreads } from '../train/population-cost.ts';
import { defaultPopulation, evalTox21Population, modelsThatFit, packingStats, type FcnResult, type PackingStats, type PopulationOptions, type RunSpec } from './eval-hyperparams.ts';
import type { FcnHyperparams, TrainingMode } from './hyperparams.ts';
import type { Tox21Data } from './population.ts';
import { configOf, Tox21TrialPool, type Tox21PoolOptions } from './trial-pool.ts';

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
  /**
   * Worker threads a pool's members are spread over, on the float32 CPU backend only (elsewhere populations train
   * in one set of dispatches and this is ignored); 1: on the calling thread. Default: `populationThreads(be)`.
   * The trial records are the same for any number.
   */
  threads?: number;
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
 * here and only here for the search, the study and the retraining: where populations are sharded over threads
 * (the float32 CPU backend, populationThreads) a few members per thread, else the adapter's (defaultPopulation).
 */
export function searchPopulation(be: Backend, population?: number, threads?: number): number {
  const shards = populationThreads(be, threads).threads;
  const chosen = population ?? (shards > 1 ? MODELS_PER_THREAD * shards : defaultPopulation(be));
  if (!Number.isInteger(chosen) || chosen < 1) throw new RangeError(`--population must be a positive integer, got ${chosen}`);
  return chosen;
}

/**
 * The search's result, with the backend it ended on: after a lost GPU device the pools are made on a new one
 * (renewIfLost) and the old one is disposed, so callers go on with `backend`.
 */
export async function runTox21Search(be: Backend, data: Tox21Data, o: Tox21SearchOptions): Promise<StudySearchResult & { packing: PackingStats; backend: Backend }> {
  const base = o.base ?? {};
  const population = searchPopulation(be, o.population, o.threads);
  const solo = population === 1;
  const width = widestHidden(o.space, base);
  const pools: SearchPool[] = [];
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
      const opts: Tox21PoolOptions = { task: o.task, base, mode: o.mode, capacity, width: w, dataSeed: o.seed0, solo, objective: o.objective.name };
      const shards = solo ? 1 : Math.min(capacity, populationThreads(cur, o.threads).threads);
      const pool = shards > 1 ? await shardedPool(data, params, opts, shards) : new Tox21TrialPool(cur, data, params, opts);
      pools.push(pool);
      return pool;
    },
    maxPools: solo ? 1 : shapeCount(o.space),
    initialTrials: o.initialTrials,
    sink: o.sink,
    source: o.source,
    onEvent: o.onEvent,
  });
  // Models trained at once: in one set of dispatches (the runner counts members per pool step, solo ones included),
  // or in one step over a sharded pool's threads.
  return { ...result, population: Math.max(0, ...pools.map((p) => p.models)), packing: packingStats(pools.flatMap((p) => p.unitEpochs())), backend: cur };
}

/** A search's pool and what the result reports of it: in-process or sharded over worker threads. */
type SearchPool = TrialPool & { models: number; unitEpochs(): readonly { computed: number; useful: number }[] };

/** A pool over `shards` worker threads; the Node-only module is loaded only here, so browsers never reach it. */
async function shardedPool(data: Tox21Data, first: TrialParams, opts: Tox21PoolOptions, shards: number): Promise<SearchPool> {
  const { shardedTrialPool } = await import('./pool-threads.ts');
  return shardedTrialPool(data, first, opts, shards);
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

/**
 * evalTox21Population, its runs spread over worker threads where a search's populations are (populationThreads:
 * the float32 CPU backend in Node with two or more cores) and more than one model may train at once; else on this
 * thread. A population member equals its solo run, so the results are the same either way. `maxModels` defaults to
 * the search's population.
 */
export async function evalRuns(be: Backend, data: Tox21Data, runs: RunSpec[], opts: PopulationOptions = {}): Promise<FcnResult[]> {
  const maxModels = opts.maxModels ?? searchPopulation(be);
  const threads = Math.min(runs.length, populationThreads(be).threads);
  if (threads < 2 || maxModels < 2 || opts.onEpoch) return evalTox21Population(be, data, runs, { ...opts, maxModels });
  const { evalOnThreads } = await import('./pool-threads.ts');
  const results = await evalOnThreads(data, runs, { dataSeed: opts.dataSeed, maxModels }, threads);
  results.forEach((r, i) => opts.onResult?.(r, i));
  return results;
}

/** Trains `params` again with fresh seeds (populations of at most `population` models) and summarizes them. */
export async function retrain(be: Backend, data: Tox21Data, params: TrialParams, o: RetrainOptions): Promise<Retrained> {
  const { h, mode } = configOf(params, o.base ?? {}, o.mode);
  const maxModels = searchPopulation(be, o.population);
  const runs = await evalRuns(be, data, o.seeds.map((seed) => ({ h, mode, seed, task: o.task })), { dataSeed: o.seeds[0], maxModels });
  const stat = (split: 'valid' | 'test', k: 'weightedAccuracy' | 'rocAuc') => meanSd(runs.filter((r) => r.status === 'ok').map((r) => r.metrics[split][k]));
  return {
    params, seeds: o.seeds, runs,
    valid: { wacc: stat('valid', 'weightedAccuracy'), auc: stat('valid', 'rocAuc') },
    test: { wacc: stat('test', 'weightedAccuracy'), auc: stat('test', 'rocAuc') },
  };
}
