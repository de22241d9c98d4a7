/**
 * The book's `eval_tox21_hyperparams` on shadergrad: train the fully connected network on Tox21's training split
 * with the given hyperparameters and score train/valid/test with weighted accuracy (as sklearn's
 * `accuracy_score(y, ŷ, sample_weight=w)`) and ROC-AUC. `mode: 'book'` follows the chapter's code — N(0, 1) init,
 * loss = Σ_batch w·xent, Adam, batches in file order, ŷ = round(σ(logit)) — except that hidden layers stack (the
 * book's loop fed each from the input). One task, or `'all'` for one network with a logit per task.
 * A training step never reads back; the loss is read once per epoch.
 */
import type { Backend } from '../backend/backend.ts';
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { backendLimits, estimateNetworkMemory } from '../nn/memory.ts';
import { BOOK_DEFAULTS, checkHyperparams, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import { groupShape, memberOf, shapeKey, Tox21Population } from './population.ts';

export { SPLITS as SPLIT_NAMES, type SplitName, type SplitScores } from '../metrics/split-scores.ts';

export interface EpochReport {
  epoch: number;
  /** Mean training loss per example over the epoch. */
  loss: number;
  seconds: number;
}

export interface EvalOptions extends Partial<FcnHyperparams> {
  /** A task name, or 'all' for a multitask network. Default: the first task (NR-AR in Tox21). */
  task?: string;
  seed?: number;
  /** Seed of the shuffled batch order (modern mode); default `seed`. */
  dataSeed?: number;
  mode?: TrainingMode;
  onEpoch?: (e: EpochReport) => void;
}

export interface FcnResult {
  model: 'fcn';
  task: string;
  mode: TrainingMode;
  seed: number;
  hyperparameters: FcnHyperparams;
  /** 'failed' when the loss became NaN or infinite; metrics are then NaN. */
  status: 'ok' | 'failed';
  /** Why it failed ("loss became NaN at epoch 3"). */
  reason?: string;
  /** Models trained at once with this one (1: a solo run). */
  population?: number;
  metrics: Record<SplitName, SplitScores>;
  /** With task 'all': the metrics of each task. */
  tasks?: Record<string, Record<SplitName, SplitScores>>;
  lossCurve: number[];
  seconds: { train: number; predict: number; perEpoch: number };
  split: { train: number; valid: number; test: number };
}

export async function evalTox21Hyperparams(be: Backend, data: { dataset: MoleculeDataset; split: DataSplit }, opts: EvalOptions = {}): Promise<FcnResult> {
  const h = withDefaults(opts);
  const [r] = await evalTox21Population(be, data, [{ h, mode: opts.mode ?? 'book', seed: opts.seed ?? 0, task: opts.task ?? data.dataset.tasks[0] }], {
    dataSeed: opts.dataSeed,
    onEpoch: opts.onEpoch && ((e) => opts.onEpoch!({ epoch: e.epoch, loss: e.loss[0], seconds: e.seconds })),
  });
  return r;
}

/** The book's defaults overridden by whatever hyperparameters `o` sets. */
export function withDefaults(o: Partial<FcnHyperparams>): FcnHyperparams {
  const h: FcnHyperparams = { ...BOOK_DEFAULTS };
  for (const k of Object.keys(BOOK_DEFAULTS) as (keyof FcnHyperparams)[]) if (o[k] !== undefined) (h as unknown as Record<string, unknown>)[k] = o[k];
  checkHyperparams(h);
  return h;
}

export interface RunSpec {
  h: FcnHyperparams;
  mode: TrainingMode;
  seed: number;
  task: string;
}

export interface PopulationOptions {
  /** Most models trained at once (1 = one run after another). Default: `defaultPopulation(be)`, less if memory says so. */
  maxModels?: number;
  /** Shared batch order seed of each population; default the first member's seed. */
  dataSeed?: number;
  /**
   * After every epoch of a population: each member's loss (NaN when it did not train), the members that trained,
   * and which run each member is (`runs[m]`: an index into the runs given).
   */
  onEpoch?: (e: { epoch: number; loss: Float64Array; seconds: number; models: number[]; runs: number[] }) => void;
  /** Called when a run's result is ready. */
  onResult?: (r: FcnResult, index: number) => void;
}

/**
 * How many models to train at once by default. On a hardware GPU a training step is dispatch-bound (an H200 ran 64
 * models' first-layer products in the time of one), so populations of up to 64. On a software adapter (SwiftShader)
 * or the CPU backend the models share no arithmetic: a population of M costs about M solo steps and more once the
 * weights leave the cache (measured here: the book's hidden grid took 1,258 s as populations of 18, 592 s one
 * run at a time), so runs go one after another there unless `--population` asks otherwise.
 */
export function defaultPopulation(be: Backend): number {
  return be.info.software ? 1 : 64;
}

/**
 * Trains every run, grouping those that share a step's shape into populations of at most `maxModels` (fewer when
 * memory says so) — one set of dispatches per step for each population. Results come back in the runs' order.
 */
export async function evalTox21Population(be: Backend, data: { dataset: MoleculeDataset; split: DataSplit }, runs: RunSpec[], opts: PopulationOptions = {}): Promise<FcnResult[]> {
  const cap = opts.maxModels ?? defaultPopulation(be);
  if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`population size must be a positive integer, got ${cap}`);
  const groups = new Map<string, number[]>();
  runs.forEach((r, i) => {
    checkHyperparams(r.h);
    const key = shapeKey(groupShape(r.h, r.mode, r.task));
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const results: FcnResult[] = new Array(runs.length);
  for (const idx of groups.values()) {
    const first = runs[idx[0]];
    const width = Math.max(...idx.map((i) => runs[i].h.nHidden));
    const fit = Math.min(cap, modelsThatFit(be, data.dataset, first, width));
    // Longest runs together, so a population whose short members finished early is not kept alive by one long one.
    const order = [...idx].sort((a, b) => runs[b].h.nEpochs - runs[a].h.nEpochs || a - b);
    for (let s = 0; s < order.length; s += fit) {
      const chunk = order.slice(s, s + fit);
      const out = await trainChunk(be, data, chunk.map((i) => runs[i]), chunk, opts);
      chunk.forEach((i, j) => {
        results[i] = out[j];
        opts.onResult?.(out[j], i);
      });
    }
  }
  return results;
}

/** The most models of this shape whose buffers fit the backend (at least 1: a single model too large says so). */
export function modelsThatFit(be: Backend, dataset: MoleculeDataset, r: RunSpec, width: number): number {
  const K = r.task === 'all' ? dataset.tasks.length : 1;
  const limit = backendLimits(be).maxBufferBytes;
  const est = (models: number) => estimateNetworkMemory({ inputs: dataset.features.nBits, hidden: width, layers: r.h.nLayers, outputs: K, models, batch: Math.max(r.h.batchSize, 1024) }).largest.bytes;
  let lo = 1, hi = 4096;
  if (est(1) > limit) return 1; // Tox21Population's own check names the problem.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (est(mid) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

async function trainChunk(be: Backend, data: { dataset: MoleculeDataset; split: DataSplit }, runs: RunSpec[], runIndex: number[], opts: PopulationOptions): Promise<FcnResult[]> {
  const shape = groupShape(runs[0].h, runs[0].mode, runs[0].task);
  const pop = new Tox21Population(be, data, shape, runs.map((r) => memberOf(r.h, r.seed)), { dataSeed: opts.dataSeed });
  try {
    const t0 = performance.now();
    const trainEnd = new Float64Array(runs.length);
    await pop.trainer.fit((e) => {
      const now = (performance.now() - t0) / 1000;
      for (const m of [...e.finished, ...e.failed]) trainEnd[m] = now;
      opts.onEpoch?.({ epoch: e.epoch, loss: e.loss, seconds: e.seconds, models: e.trained, runs: runIndex });
    });
    const t1 = performance.now();
    const failed = new Set(pop.trainer.status.flatMap((s, m) => (s === 'failed' ? [m] : [])));
    const scores = await pop.score(undefined, failed);
    const predict = (performance.now() - t1) / 1000;
    return runs.map((r, m) => {
      const lossCurve = pop.trainer.lossCurves[m];
      return {
        model: 'fcn' as const,
        task: r.task,
        mode: r.mode,
        seed: r.seed,
        hyperparameters: r.h,
        status: failed.has(m) ? ('failed' as const) : ('ok' as const),
        ...(failed.has(m) ? { reason: pop.trainer.reasons[m]! } : {}),
        metrics: scores[m].metrics,
        ...(scores[m].tasks ? { tasks: scores[m].tasks } : {}),
        lossCurve,
        seconds: { train: trainEnd[m], predict, perEpoch: trainEnd[m] / Math.max(1, lossCurve.length) },
        split: { train: data.split.train.length, valid: data.split.valid.length, test: data.split.test.length },
        population: runs.length,
      };
    });
  } finally {
    pop.dispose();
  }
}
