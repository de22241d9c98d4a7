/**
 * The book's `eval_tox21_hyperparams` on shadergrad: train the fully connected network on Tox21's training split
 * with the given hyperparameters and score train/valid/test with weighted accuracy (as sklearn's
 * `accuracy_score(y, ŷ, sample_weight=w)`) and ROC-AUC. `mode: 'book'` follows the chapter's code — N(0, 1) init,
 * loss = Σ_batch w·xent, Adam, batches in file order, ŷ = round(σ(logit)) — except that hidden layers stack (the
 * book's loop fed each from the input). One task, or `'all'` for one network with a logit per task.
 * A training step never reads back; the loss is read once per epoch.
 *
 * Every run carries its sigmoid probabilities on valid and test (`predictions`) at the kept epoch: the last, or with
 * `earlyStopping` the epoch whose validation objective was best — for these runs the mean ROC-AUC over the run's
 * tasks (its one task's AUC), the metric the 12-task study chooses on; a search's pool compares its own objective.
 */
import type { Backend } from '../backend/backend.ts';
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { backendLimits, estimateNetworkMemory } from '../nn/memory.ts';
import { BOOK_DEFAULTS, checkHyperparams, LEVER_KEYS, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import type { SplitPredictions } from './split-predictions.ts';
import { populationCost, widthSlack } from '../train/population-cost.ts';
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
  /** How much of its population's computed hidden units were padding or idle slots. */
  packing?: PackingStats;
  metrics: Record<SplitName, SplitScores>;
  /** With task 'all': the metrics of each task. */
  tasks?: Record<string, Record<SplitName, SplitScores>>;
  lossCurve: number[];
  /** Sigmoid probabilities on valid and test at the kept epoch, [rows × tasks] in split order (absent if failed). */
  predictions?: SplitPredictions;
  /** The epoch whose weights were kept: the best validation epoch with early stopping, else the last. */
  bestEpoch?: number;
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
  for (const k of [...Object.keys(BOOK_DEFAULTS), ...LEVER_KEYS] as (keyof FcnHyperparams)[]) if (o[k] !== undefined) (h as unknown as Record<string, unknown>)[k] = o[k];
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
  /** Members that finished leave their population at the epoch's end, so the rest compute alone (default true). */
  compact?: boolean;
}

/**
 * How many models to train at once by default, from measurement where there is one (src/train/population-cost.ts:
 * one step of the run's network for 1 and for k models on this backend): populations only where a population's step
 * costs less than its members' solo steps — on a dispatch-bound GPU up to 64 models, elsewhere up to 4k (not much
 * beyond what was timed: on a CPU the weights of many models leave the cache); memory may say fewer. Without a
 * measurement, the adapter's kind decides: a hardware GPU is dispatch-bound (an H200 ran 64 models' first-layer
 * products in the time of one); on a software adapter or the CPU backend models share no arithmetic (the book's hidden
 * grid took 1,258 s as padded populations of 18, 592 s one run at a time), so one run after another.
 */
export function defaultPopulation(be: Backend): number {
  const cost = populationCost(be);
  if (cost) return cost.pays ? (be.info.software ? 4 * cost.models : 64) : 1;
  return be.info.software ? 1 : 64;
}

/** Hidden units computed (slots × padded width, every epoch) against those of members training: the waste of packing. */
export interface PackingStats {
  computedUnitEpochs: number;
  usefulUnitEpochs: number;
  /** 1 − useful / computed: the share of the computed hidden units that were padding or idle slots. */
  paddedFraction: number;
}

export function packingStats(units: readonly { computed: number; useful: number }[]): PackingStats {
  const computed = units.reduce((a, u) => a + u.computed, 0), useful = units.reduce((a, u) => a + u.useful, 0);
  return { computedUnitEpochs: computed, usefulUnitEpochs: useful, paddedFraction: computed > 0 ? 1 - useful / computed : 0 };
}

/**
 * Trains every run, grouping those that share a step's shape into populations of at most `maxModels` (fewer when
 * memory says so) — one set of dispatches per step for each population. Within a shape, runs are packed by width
 * (then epochs): a run joins a population only as much narrower than it as padding pays on this backend
 * (`widthSlack`: none on an arithmetic-bound CPU or emulator, any on a dispatch-bound GPU), and members that finish
 * leave it (`compact`). Results come back in the runs' order.
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
  const slack = widthSlack(be);
  const results: FcnResult[] = new Array(runs.length);
  for (const idx of groups.values()) {
    // Widest first, then longest: a population's padding and its members' epochs stay close.
    const order = [...idx].sort((a, b) => runs[b].h.nHidden - runs[a].h.nHidden || runs[b].h.nEpochs - runs[a].h.nEpochs || a - b);
    for (let s = 0; s < order.length;) {
      const width = runs[order[s]].h.nHidden;
      const fit = Math.min(cap, modelsThatFit(be, data.dataset, runs[order[s]], width));
      let e = s + 1;
      while (e < order.length && e - s < fit && runs[order[e]].h.nHidden >= width * (1 - slack)) e++;
      const chunk = order.slice(s, e);
      const out = await trainChunk(be, data, chunk.map((i) => runs[i]), chunk, opts);
      chunk.forEach((i, j) => {
        results[i] = out[j];
        opts.onResult?.(out[j], i);
      });
      s = e;
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
  const results: FcnResult[] = new Array(runs.length);
  // slotRun[m]: which of `runs` slot m holds (compaction renumbers the slots).
  let slotRun = runs.map((_, j) => j);
  const trainEnd = new Float64Array(runs.length);
  const units: { computed: number; useful: number }[] = [];
  /** Scores the members of `slots` (they leave, or training ended) and fills in their results. */
  const finish = async (slots: number[]) => {
    const t1 = performance.now();
    pop.restoreBest(slots); // early stopping: the best epoch's weights are the result
    const scores = await pop.scoreSlots(slots);
    const live = slots.filter((m) => pop.trainer.status[m] !== 'failed');
    const preds = new Map((await pop.predictions(live)).map((p, k) => [live[k], p]));
    const predict = (performance.now() - t1) / 1000;
    slots.forEach((m, k) => {
      const j = slotRun[m], r = runs[j];
      const failed = pop.trainer.status[m] === 'failed';
      const lossCurve = pop.trainer.lossCurves[m];
      results[j] = {
        model: 'fcn' as const,
        task: r.task,
        mode: r.mode,
        seed: r.seed,
        hyperparameters: r.h,
        status: failed ? ('failed' as const) : ('ok' as const),
        ...(failed ? { reason: pop.trainer.reasons[m]! } : {}),
        metrics: scores[k].metrics,
        ...(scores[k].tasks ? { tasks: scores[k].tasks } : {}),
        lossCurve,
        ...(preds.has(m) ? { predictions: preds.get(m)!, bestEpoch: pop.keptEpoch(m) } : {}),
        seconds: { train: trainEnd[j], predict, perEpoch: trainEnd[j] / Math.max(1, lossCurve.length) },
        split: { train: data.split.train.length, valid: data.split.valid.length, test: data.split.test.length },
        population: runs.length,
      };
    });
  };
  try {
    const t0 = performance.now();
    while (pop.trainer.running() > 0) {
      const e = await pop.epoch();
      units.push(e.units);
      const now = (performance.now() - t0) / 1000;
      for (const m of [...e.finished, ...e.failed]) trainEnd[slotRun[m]] = now;
      // Early stopping: the validation objective of every member that stops early, after each of its epochs.
      if (pop.stopsEarly(e.trained)) await pop.track(await pop.score(['valid']), e.trained);
      opts.onEpoch?.({ epoch: e.epoch, loss: e.loss, seconds: e.seconds, models: e.trained, runs: slotRun.map((j) => runIndex[j]) });
      const live = pop.trainer.status.flatMap((st, m) => (st === 'running' ? [m] : []));
      if (opts.compact === false || live.length === 0 || live.length === pop.models) continue;
      // Members that finished leave: scored now, and the rest train on without them.
      await finish(pop.members.flatMap((_, m) => (live.includes(m) ? [] : [m])));
      await pop.repack(live);
      slotRun = live.map((m) => slotRun[m]);
    }
    await finish(pop.members.map((_, m) => m));
    const packing = packingStats(units);
    for (const r of results) r.packing = packing;
    return results;
  } finally {
    pop.dispose();
  }
}
