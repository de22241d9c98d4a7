/**
 * The training loop — the only one: the Tox21 study, its search pools, the benchmark and the browser page all train
 * through it. It trains a population of M networks (M = 1 is a solo run) on shared minibatches, one epoch per call:
 * each step is one forward, one backward and one optimizer dispatch for all models and parameters (the book's step:
 * 10 dispatches), submitted as one batch with no readback; the loss kernel adds each model's loss into a total on
 * the device, read once per epoch as M numbers. In a fixed batch order the batches are uploaded once.
 *
 * Per model: how many epochs it trains (a finished model is frozen: its weights stop changing while the others go
 * on), whether it failed (a NaN/Inf loss freezes it and leaves the others untouched), and a stop for pruning. A
 * stopped slot can take a new member (`replace`), which starts at epoch 0 on the population's next epoch. Between
 * epochs the population can be repacked (`repack`, `compact`): members that left are dropped and new ones appended,
 * into a network and optimizer holding only those, so later epochs compute only members that train.
 * Data order: the book's file order, or a shuffle per epoch from `dataSeed` — a seed of its own, separate from each
 * model's init and dropout seed, so a solo run with the same data seed sees a member's batches.
 */
import { sigmoidCrossEntropyModels } from '../autograd/ops.ts';
import { keep, tidy } from '../autograd/scope.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { Backend } from '../backend/backend.ts';
import type { BitRows } from '../autograd/sparse-linear.ts';
import type { PopulationMember, PopulationMlp } from '../nn/population-mlp.ts';
import type { ModelOptimizer } from '../optim/model-optimizer.ts';
import { gatherRows, minibatches } from './minibatches.ts';

/** What the loop trains on: rows with K outputs each, inputs built per batch (inside the step's tidy scope). */
export interface TrainingSet<X extends BitRows | Tensor = BitRows | Tensor> {
  rows: number;
  outputs: number;
  /** [rows, outputs] labels and loss weights (0 for a missing label). */
  labels: Float32Array;
  weights: Float32Array;
  input(idx: Uint32Array): X;
}

interface Batch<X> {
  x: X;
  y: Tensor;
  w: Tensor;
}

/** Device memory a fixed-order trainer may keep its batches in (the Tox21 training set's bits take ~2 MB). */
const BATCH_CACHE_BYTES = 256 * 2 ** 20;

export interface FitOptions {
  batchSize: number;
  /** 'sum' over the batch (the book) or 'mean' over its rows × outputs; always per model. */
  reduction: 'sum' | 'mean';
  shuffle: boolean;
  dataSeed: number;
  /** Epochs each model trains. */
  epochs: ArrayLike<number>;
  /** Keep a fixed order's batches on the device across epochs (default true; see PopulationTrainer.batch). */
  cacheBatches?: boolean;
}

export type MemberStatus = 'running' | 'done' | 'failed' | 'stopped';

export interface EpochReport {
  /** Epochs the population has run (1-based). */
  epoch: number;
  /** Mean training loss per example of each model over this epoch; NaN for models that did not train in it. */
  loss: Float64Array;
  /** Models that trained in this epoch. */
  trained: number[];
  /** Models that failed in this epoch (their loss became NaN or infinite). */
  failed: number[];
  /** Models that reached their epochs in this epoch. */
  finished: number[];
  seconds: number;
  /** Dispatches recorded in this epoch, when the backend counts them (WebGPU). */
  steps: number;
  /**
   * Hidden units computed in this epoch (slots × the padded width: idle slots and padding included) and those of the
   * members that trained (their own widths): 1 − useful / computed is the epoch's padded fraction.
   */
  units: { computed: number; useful: number };
}

export class PopulationTrainer<X extends BitRows | Tensor = BitRows | Tensor> {
  /** Slots of the population; the per-model arrays below are indexed by slot (a `repack` renumbers them). */
  models: number;
  status: MemberStatus[];
  /** Epochs trained by each model. */
  epochsDone: Uint32Array;
  epochs: Uint32Array;
  /** Each model's loss per epoch. */
  lossCurves: number[][];
  /** Why each failed model failed. */
  reasons: (string | null)[];
  /** Hidden units computed and hidden units of training members, summed over epochs (see EpochReport.units). */
  readonly unitEpochs = { computed: 0, useful: 0 };
  private epochCount = 0;
  private ones: Tensor;
  private readonly batches = new Map<number, Batch<X>>();
  private cachedBytes = 0;
  private _net: PopulationMlp;
  private _opt: ModelOptimizer;

  /**
   * Whether a new member may join now and still train as its solo run would: in file order always; with shuffled
   * batches only before the first epoch, since the population's epoch (not the member's) picks the batch order.
   */
  get joinable(): boolean {
    return !this.options.shuffle || this.epochCount === 0;
  }

  constructor(readonly be: Backend, net: PopulationMlp, opt: ModelOptimizer, readonly data: TrainingSet<X>, readonly options: FitOptions) {
    this._net = net;
    this._opt = opt;
    this.models = net.models;
    if (opt.models !== this.models) throw new RangeError(`PopulationTrainer: the optimizer has ${opt.models} models, the network ${this.models}`);
    if (options.epochs.length !== this.models) throw new RangeError(`PopulationTrainer: ${options.epochs.length} epoch counts for ${this.models} models`);
    if (data.rows === 0) throw new RangeError('PopulationTrainer: the training set has no rows');
    if (data.labels.length !== data.rows * data.outputs || data.weights.length !== data.rows * data.outputs) {
      throw new RangeError(`PopulationTrainer: labels (${data.labels.length}) and weights (${data.weights.length}) must hold rows × outputs = ${data.rows} × ${data.outputs}`);
    }
    this.epochs = Uint32Array.from(options.epochs);
    this.epochs.forEach((e, m) => {
      if (!(e >= 1)) throw new RangeError(`PopulationTrainer: model ${m} must train at least 1 epoch, got ${options.epochs[m]}`);
    });
    this.status = Array.from({ length: this.models }, () => 'running' as MemberStatus);
    this.epochsDone = new Uint32Array(this.models);
    this.lossCurves = Array.from({ length: this.models }, () => []);
    this.reasons = Array.from({ length: this.models }, () => null);
    this.ones = keep(Tensor.full(be, [this.models], 1));
  }

  /** The network trained (a new one after each `repack`). */
  get net(): PopulationMlp {
    return this._net;
  }

  get opt(): ModelOptimizer {
    return this._opt;
  }

  running(): number {
    return this.status.filter((s) => s === 'running').length;
  }

  /** Freezes model m (pruned): it trains no more and its slot may be replaced. */
  stop(m: number): void {
    if (this.status[m] !== 'running') return;
    this.status[m] = 'stopped';
    this.freeze(m);
  }

  /**
   * Slot m takes a new member, trained from epoch 0 for `epochs` epochs starting with the next epoch, with its
   * learning rate and weight decay (absent: the slot's λ stays).
   */
  replace(m: number, member: PopulationMember, lr: number, epochs: number, weightDecay?: number): void {
    if (this.status[m] === 'running') throw new Error(`PopulationTrainer: slot ${m} is still training`);
    if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`PopulationTrainer: a member must train at least 1 epoch, got ${epochs}`);
    this.net.resetSlot(m, member);
    this.opt.reset(m, lr, weightDecay);
    this.status[m] = 'running';
    this.epochsDone[m] = 0;
    this.epochs[m] = epochs;
    this.lossCurves[m] = [];
    this.reasons[m] = null;
  }

  /**
   * Between epochs: the population keeps slots `slots` (in that order) and takes `add` after them, in a network and
   * optimizer repacked to hold only those (PopulationMlp.repacked, ModelOptimizer.repacked), so later epochs compute
   * only them. A kept member goes on exactly as it would have — same weights, moments, steps, dropout and batches —
   * and slot i of the new population is slots[i]. The old network and optimizer are disposed.
   */
  async repack(slots: readonly number[], add: readonly { member: PopulationMember; lr: number; epochs: number; weightDecay?: number }[] = [], width?: number): Promise<void> {
    if (slots.length + add.length === 0) throw new RangeError('PopulationTrainer: a repacked population needs at least one member');
    slots.forEach((m) => {
      if (!(Number.isInteger(m) && m >= 0 && m < this.models)) throw new RangeError(`PopulationTrainer: no slot ${m} to keep (${this.models} slots)`);
    });
    for (const a of add) if (!(Number.isInteger(a.epochs) && a.epochs >= 1)) throw new RangeError(`PopulationTrainer: a member must train at least 1 epoch, got ${a.epochs}`);
    const net = await this._net.repacked(slots, add.map((a) => a.member), width);
    const opt = await this._opt.repacked(net.parameters(), slots, add);
    this._opt.dispose();
    this._net.dispose();
    this._net = net;
    this._opt = opt;
    const pick = <T>(xs: ArrayLike<T>, fresh: (i: number) => T) => [...slots.map((m) => xs[m]), ...add.map((_, i) => fresh(i))];
    this.status = pick(this.status, () => 'running' as MemberStatus);
    this.epochsDone = Uint32Array.from(pick(this.epochsDone, () => 0));
    this.epochs = Uint32Array.from(pick(this.epochs, (i) => add[i].epochs));
    this.lossCurves = pick(this.lossCurves, () => [] as number[]);
    this.reasons = pick(this.reasons, () => null as string | null);
    this.models = net.models;
    this.ones.dispose();
    this.ones = keep(Tensor.full(this.be, [this.models], 1));
  }

  /**
   * Drops the members that no longer train (done, failed, stopped) so later epochs compute only the rest; returns
   * the old slot of each new slot, or null when nothing changed (all still train, or none does).
   */
  async compact(): Promise<number[] | null> {
    const live = this.status.flatMap((s, m) => (s === 'running' ? [m] : []));
    if (live.length === this.models || live.length === 0) return null;
    await this.repack(live);
    return live;
  }

  private freeze(m: number): void {
    this.opt.freeze(m);
    this.net.active[m] = 0;
  }

  /** Trains one epoch of every running model; reads the models' losses back once. */
  async epoch(): Promise<EpochReport> {
    const t0 = performance.now();
    const trained = this.status.flatMap((s, m) => (s === 'running' ? [m] : []));
    const loss = new Float64Array(this.models).fill(Number.NaN);
    if (trained.length === 0) return { epoch: this.epochCount, loss, trained, failed: [], finished: [], seconds: 0, steps: 0, units: { computed: 0, useful: 0 } };
    const { batchSize, reduction, shuffle, dataSeed } = this.options;
    const batches = minibatches(this.data.rows, batchSize, { shuffle, seed: dataSeed, epoch: this.epochCount });
    this.epochCount++;
    this._net.train(true);
    // Each model's summed loss stays on the device (the loss kernel adds into it) and is read once, at the end.
    const total = keep(Tensor.zeros(this.be, [this.models]));
    batches.forEach((idx, b) => {
      tidy(() => {
        this._opt.zeroGrad();
        const { x, y, w } = this.batch(b, idx);
        sigmoidCrossEntropyModels(this._net.forward(x), y, w, reduction, { total }).backward(this.ones);
        this._opt.step();
      });
      // One submit per step: the GPU starts on it while the next is recorded, and the next step gets the same pooled
      // buffers back (released ones are reused after a submit), so its bind groups come from the runtime's cache.
      this.be.flush();
    });
    const units = { computed: this.models * this._net.width, useful: trained.reduce((a, m) => a + this._net.members[m].width, 0) };
    this.unitEpochs.computed += units.computed;
    this.unitEpochs.useful += units.useful;
    const sums = await total.data();
    total.dispose();
    const failed: number[] = [], finished: number[] = [];
    for (const m of trained) {
      const perExample = reduction === 'sum' ? sums[m] / this.data.rows : sums[m] / batches.length;
      loss[m] = perExample;
      this.lossCurves[m].push(perExample);
      this.epochsDone[m]++;
      if (!Number.isFinite(perExample)) {
        this.status[m] = 'failed';
        this.reasons[m] = `loss became ${Number.isNaN(perExample) ? 'NaN' : 'infinite'} at epoch ${this.epochsDone[m]}`;
        this.freeze(m);
        failed.push(m);
      } else if (this.epochsDone[m] >= this.epochs[m]) {
        this.status[m] = 'done';
        this.freeze(m);
        finished.push(m);
      }
    }
    return { epoch: this.epochCount, loss, trained, failed, finished, seconds: (performance.now() - t0) / 1000, steps: batches.length, units };
  }

  /**
   * Batch b's inputs, labels and weights. In a fixed batch order (no shuffle) each epoch sees the same batches, so
   * they are built and uploaded once — no per-step gather, bit transpose or upload — and kept until `dispose`, up to
   * BATCH_CACHE_BYTES; shuffled batches are built per step inside the step's scope.
   */
  private batch(b: number, idx: Uint32Array): Batch<X> {
    const hit = this.batches.get(b);
    if (hit) return hit;
    const K = this.data.outputs;
    const made: Batch<X> = {
      x: this.data.input(idx),
      y: Tensor.from(this.be, gatherRows(this.data.labels, K, idx), [idx.length, K]),
      w: Tensor.from(this.be, gatherRows(this.data.weights, K, idx), [idx.length, K]),
    };
    const bytes = 4 * (2 * idx.length * K + (made.x instanceof Tensor ? made.x.size : 2 * made.x.matrix.nnz + made.x.rows + made.x.cols));
    if (!this.options.shuffle && this.options.cacheBatches !== false && this.cachedBytes + bytes <= BATCH_CACHE_BYTES) {
      this.cachedBytes += bytes;
      this.batches.set(b, { x: keep(made.x), y: keep(made.y), w: keep(made.w) });
    }
    return made;
  }

  /** Trains until no model is running. */
  async fit(onEpoch?: (r: EpochReport) => void | Promise<void>): Promise<void> {
    while (this.running() > 0) {
      const r = await this.epoch();
      await onEpoch?.(r);
    }
  }

  dispose(): void {
    this.ones.dispose();
    for (const { x, y, w } of this.batches.values()) for (const t of [x, y, w]) t.dispose();
    this.batches.clear();
    this.cachedBytes = 0;
  }
}
