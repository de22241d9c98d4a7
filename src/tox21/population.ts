/**
 * The book's network for many hyperparameter configurations at once: one Tox21 task (or all), one group of trials
 * that share a step's shape — layers, batch size, training mode, loss weighting, initialiser — trained as a
 * population (one set of dispatches for every member) and scored per member. Members differ in seed, hidden width,
 * learning rate, keep probability, epochs, weight decay and early stopping. A solo run is a population of one, so `evalTox21Hyperparams` and the searches share the
 * code path, and a member equals its solo run (test/population-identity.test.ts).
 *
 * Early stopping lives here because the population is what scores its members: a member with `earlyStopping` has its
 * validation objective noted after each epoch it trains (`track`), and when the objective improves its weights are
 * copied to the host (its own slices, at its real width, so repacks and compaction do not disturb the copy). When it
 * stops, `restoreBest` writes that copy back into its slot — it trains no more — so its predictions and final scores
 * are the best epoch's, bit for bit what a run stopped at that epoch holds (test/early-stopping.test.ts).
 */
import { BitRows } from '../autograd/sparse-linear.ts';
import type { Backend } from '../backend/backend.ts';
import { selectRows, type SparseBits } from '../data/sparse-bits.ts';
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { accuracy } from '../metrics/accuracy.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import { meanSplitScores, SPLITS, type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { checkNetworkFits } from '../nn/memory.ts';
import { PopulationMlp, type PopulationMember } from '../nn/population-mlp.ts';
import { ModelOptimizer } from '../optim/model-optimizer.ts';
import { PopulationTrainer, type EpochReport, type TrainingSet } from '../train/fit.ts';
import { predictModels } from '../train/predict.ts';
import type { Init } from '../nn/init.ts';
import { predictionsOf } from './member-predictions.ts';
import { readMemberWeights, writeMemberWeights } from './member-weights.ts';
import { checkHyperparams, initOf, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import type { SplitPredictions } from './split-predictions.ts';

/** What every member of a population shares: the step's shape. */
export interface GroupShape {
  /** A task name, or 'all' for one network with a logit per task. */
  task: string;
  mode: TrainingMode;
  nLayers: number;
  batchSize: number;
  weightPositives: boolean;
  /** The initialiser (src/nn/init.ts) every member draws from; absent: the mode's (book → N(0, 1), modern → He). */
  init?: Init;
}

/** What may differ between members. */
export interface MemberSpec {
  seed: number;
  nHidden: number;
  learningRate: number;
  keepProb: number;
  nEpochs: number;
  /** L2 weight decay λ (default 0). */
  weightDecay?: number;
  /** Keep the weights of the epoch with the best validation objective (default false). */
  earlyStopping?: boolean;
}

/** What early stopping compares between epochs: the validation split's mean ROC-AUC or weighted accuracy. */
export type StopMetric = 'auc' | 'wacc';

/** A member's best epoch so far and its weights then (per layer W [fanIn × fanOut], b [fanOut]). */
interface BestEpoch {
  epoch: number;
  value: number;
  weights: Float64Array[] | null;
}

export type Tox21Data = { dataset: MoleculeDataset; split: DataSplit };

export interface MemberScores {
  metrics: Record<SplitName, SplitScores>;
  /** With task 'all': each task's scores. */
  tasks?: Record<string, Record<SplitName, SplitScores>>;
}

export const SHAPE_KEYS = ['nLayers', 'batchSize', 'weightPositives'] as const;

export function groupShape(h: FcnHyperparams, mode: TrainingMode, task: string): GroupShape {
  return { task, mode, nLayers: h.nLayers, batchSize: h.batchSize, weightPositives: h.weightPositives, init: initOf(h, mode) };
}

/** The shape's initialiser: its own, else its mode's. */
export function shapeInit(s: GroupShape): Init {
  return s.init ?? initOf({}, s.mode);
}

export function shapeKey(s: GroupShape): string {
  return `${s.task}|${s.mode}|layers=${s.nLayers}|batch=${s.batchSize}|weighted=${s.weightPositives}|init=${shapeInit(s)}`;
}

export function memberOf(h: FcnHyperparams, seed: number): MemberSpec {
  return {
    seed, nHidden: h.nHidden, learningRate: h.learningRate, keepProb: h.keepProb, nEpochs: h.nEpochs,
    ...(h.weightDecay ? { weightDecay: h.weightDecay } : {}), ...(h.earlyStopping ? { earlyStopping: true } : {}),
  };
}

export class Tox21Population {
  readonly trainer: PopulationTrainer<BitRows>;
  readonly taskIdx: number[];
  readonly taskName: string;
  /** Bit rows of the splits `score` was asked for, selected once (scored every epoch by the search). */
  private readonly scoreRows = new Map<string, { rows: Uint32Array; bits: SparseBits }>();
  /** Each slot's early stopping: whether it stops early, and its best epoch so far (renumbered with the slots). */
  private early: boolean[];
  private best: (BestEpoch | null)[];
  /** What early stopping compares. */
  readonly stopOn: StopMetric;

  constructor(readonly be: Backend, readonly data: Tox21Data, readonly shape: GroupShape, members: MemberSpec[], opts: { width?: number; dataSeed?: number; stopOn?: StopMetric } = {}) {
    const { dataset, split } = data;
    if (members.length === 0) throw new RangeError('Tox21Population: no members');
    for (const m of members) checkHyperparams({ ...m, nLayers: shape.nLayers, batchSize: shape.batchSize, weightPositives: shape.weightPositives });
    const T = dataset.tasks.length;
    this.taskName = shape.task;
    const taskIdx = shape.task === 'all' ? null : dataset.tasks.indexOf(shape.task);
    if (taskIdx === -1) throw new RangeError(`unknown task "${shape.task}"; the dataset has ${dataset.tasks.join(', ')} (or use 'all')`);
    this.taskIdx = taskIdx === null ? dataset.tasks.map((_, i) => i) : [taskIdx];
    const K = this.taskIdx.length;
    if (split.train.length === 0) throw new RangeError('the training split is empty');
    const width = opts.width ?? Math.max(...members.map((m) => m.nHidden));
    // Refuse before allocating: the largest buffer is a layer's weights for every model.
    checkNetworkFits(be, { inputs: dataset.features.nBits, hidden: width, layers: shape.nLayers, outputs: K, models: members.length, batch: Math.max(shape.batchSize, 1024) });

    // Labels and loss weights of the training rows, [rows, K]. Without weightPositives the book weighs every row 1;
    // a multitask net still gives missing labels weight 0.
    const columns = (a: Float32Array | Uint8Array, rows: Uint32Array) => {
      const out = new Float32Array(rows.length * K);
      rows.forEach((r, i) => this.taskIdx.forEach((t, j) => (out[i * K + j] = a[r * T + t])));
      return out;
    };
    const trainBits = selectRows(dataset.features, split.train);
    const set: TrainingSet<BitRows> = {
      rows: split.train.length,
      outputs: K,
      labels: columns(dataset.y, split.train),
      weights: shape.weightPositives ? columns(dataset.w, split.train) : K > 1 ? columns(dataset.labelled, split.train) : new Float32Array(split.train.length).fill(1),
      input: (idx) => BitRows.from(be, selectRows(trainBits, idx)),
    };
    const net = new PopulationMlp(be, {
      inputs: dataset.features.nBits,
      outputs: K,
      nLayers: shape.nLayers,
      activation: 'relu',
      // The book draws W and b from N(0, 1) (tf.random_normal); He suits ReLU layers; DeepChem's its own.
      init: shapeInit(shape),
      members: members.map(toNetMember),
      width,
    });
    const opt = new ModelOptimizer(net.parameters(), members.length, { kind: 'adam', lr: members.map((m) => m.learningRate), weightDecay: members.map((m) => m.weightDecay ?? 0) });
    this.early = members.map((m) => !!m.earlyStopping);
    this.best = members.map(() => null);
    this.stopOn = opts.stopOn ?? 'auc';
    this.trainer = new PopulationTrainer(be, net, opt, set, {
      batchSize: shape.batchSize,
      reduction: shape.mode === 'book' ? 'sum' : 'mean',
      shuffle: shape.mode === 'modern',
      dataSeed: opts.dataSeed ?? members[0].seed,
      epochs: members.map((m) => m.nEpochs),
    });
  }

  get models(): number {
    return this.trainer.models;
  }

  /** The member each slot holds, as the trainer holds it (a repack or a trainer's compaction renumbers the slots). */
  get members(): MemberSpec[] {
    const { net, opt, trainer } = this;
    return net.members.map((m, i) => ({
      seed: m.seed, nHidden: m.width, learningRate: opt.lr[i], keepProb: m.keep, nEpochs: trainer.epochs[i],
      ...(opt.weightDecay[i] ? { weightDecay: opt.weightDecay[i] } : {}), ...(this.early[i] ? { earlyStopping: true } : {}),
    }));
  }

  get net(): PopulationMlp {
    return this.trainer.net;
  }

  get opt(): ModelOptimizer {
    return this.trainer.opt;
  }

  /**
   * Between epochs: keeps the members of slots `keep` (in that order) and takes `add` after them, repacked so that
   * later epochs compute only these (PopulationTrainer.repack); padded to `width` (default the widest of them).
   */
  async repack(keep: readonly number[], add: readonly MemberSpec[] = [], width?: number): Promise<void> {
    for (const m of add) checkHyperparams({ ...m, nLayers: this.shape.nLayers, batchSize: this.shape.batchSize, weightPositives: this.shape.weightPositives });
    await this.trainer.repack(keep, add.map((m) => ({ member: toNetMember(m), lr: m.learningRate, epochs: m.nEpochs, weightDecay: m.weightDecay ?? 0 })), width);
    this.early = [...keep.map((m) => this.early[m]), ...add.map((m) => !!m.earlyStopping)];
    this.best = [...keep.map((m) => this.best[m]), ...add.map(() => null)];
  }

  epoch(): Promise<EpochReport> {
    return this.trainer.epoch();
  }

  /** Slot m (stopped, done or failed) takes a new member. */
  replace(m: number, member: MemberSpec): void {
    checkHyperparams({ ...member, nLayers: this.shape.nLayers, batchSize: this.shape.batchSize, weightPositives: this.shape.weightPositives });
    this.trainer.replace(m, toNetMember(member), member.learningRate, member.nEpochs, member.weightDecay ?? 0);
    this.early[m] = !!member.earlyStopping;
    this.best[m] = null;
  }

  /** Whether any slot stops early (then validation must be scored after every epoch). */
  stopsEarly(slots: readonly number[] = this.trainer.status.map((_, m) => m)): boolean {
    return slots.some((m) => this.early[m]);
  }

  /**
   * After an epoch: for each slot of `trained` that stops early, its validation objective from `scores` (which
   * must hold the valid split); an improvement (the first epoch always) copies its weights to the host. A member
   * whose value is not finite keeps its earlier best.
   */
  async track(scores: readonly MemberScores[], trained: readonly number[]): Promise<void> {
    const improved: number[] = [];
    for (const m of trained) {
      if (!this.early[m] || this.trainer.status[m] === 'failed') continue;
      const v = this.stopOn === 'auc' ? scores[m].metrics.valid.rocAuc : scores[m].metrics.valid.weightedAccuracy;
      const b = this.best[m];
      if (!Number.isFinite(v) || (b && !(v > b.value))) continue;
      this.best[m] = { epoch: this.trainer.epochsDone[m], value: v, weights: null };
      improved.push(m);
    }
    if (improved.length === 0) return;
    const all = await readMemberWeights(this.net, improved);
    improved.forEach((m, i) => (this.best[m]!.weights = all[i]));
  }

  /** The epoch whose weights slot m holds at its end: its best with early stopping, else its last. */
  keptEpoch(m: number): number {
    return this.best[m]?.epoch ?? this.trainer.epochsDone[m];
  }

  /**
   * Slots of `slots` that stop early and whose best epoch is not their last get that epoch's weights back; they
   * must not train again (done, failed or stopped). Returns the slots restored.
   */
  restoreBest(slots: readonly number[]): number[] {
    const restored: number[] = [];
    for (const m of slots) {
      const b = this.best[m];
      if (!b?.weights || this.trainer.status[m] === 'running' || b.epoch === this.trainer.epochsDone[m]) continue;
      writeMemberWeights(this.net, m, b.weights);
      restored.push(m);
    }
    return restored;
  }

  /**
   * Every member's scores on `splits` (weighted accuracy as sklearn's accuracy_score with sample weights, ROC-AUC),
   * from one forward pass per batch for all models and one readback. Failed members, those listed in `skip`, and
   * any whose outputs are not finite get NaN.
   */
  async score(splits: readonly SplitName[] = SPLITS, skip: ReadonlySet<number> = new Set()): Promise<MemberScores[]> {
    const slots = Array.from({ length: this.models }, (_, m) => m);
    return this.scoresOf(await this.logits(this.net, splits), slots, splits, skip);
  }

  /**
   * The scores of slots `slots` only (in that order), from a network of just them: what members leaving the
   * population are scored with, at the cost of their own forward passes.
   */
  async scoreSlots(slots: readonly number[], splits: readonly SplitName[] = SPLITS): Promise<MemberScores[]> {
    if (slots.length === 0) return [];
    if (slots.length === this.models && slots.every((m, j) => m === j)) return this.score(splits);
    const sub = await this.net.repacked(slots);
    try {
      return this.scoresOf(await this.logits(sub, splits), slots, splits, new Set());
    } finally {
      sub.dispose();
    }
  }

  /**
   * Sigmoid probabilities of slots `slots` on valid and test, [rows × K] in split order (src/tox21/split-predictions.ts),
   * from the weights they hold now (after `restoreBest`: the kept epoch's). NaN logits stay NaN.
   */
  async predictions(slots: readonly number[]): Promise<SplitPredictions[]> {
    if (slots.length === 0) return [];
    const whole = slots.length === this.models && slots.every((m, j) => m === j);
    const net = whole ? this.net : await this.net.repacked(slots);
    try {
      const logits = await this.logits(net, ['valid', 'test']);
      const tasks = this.taskIdx.map((t) => this.data.dataset.tasks[t]);
      return slots.map((_, j) => predictionsOf(logits[j] ?? new Float32Array(0), tasks, this.data.split.valid.length));
    } finally {
      if (!whole) net.dispose();
    }
  }

  /** Logits of every model of `net` on the rows of `splits`, [models][rows × K]. */
  private async logits(net: PopulationMlp, splits: readonly SplitName[]): Promise<Float32Array[]> {
    const K = this.taskIdx.length;
    const key = splits.join(',');
    let sel = this.scoreRows.get(key);
    if (!sel) {
      const rows = Uint32Array.from(splits.flatMap((s) => Array.from(this.data.split[s])));
      sel = { rows, bits: selectRows(this.data.dataset.features, rows) };
      this.scoreRows.set(key, sel);
    }
    const { rows, bits } = sel;
    net.train(false); // the trainer turns training back on at its next epoch
    return rows.length === 0 ? Array.from({ length: net.models }, () => new Float32Array(0)) : predictModels(this.be, net.models, K, rows.length, (idx) => net.forward(BitRows.from(this.be, selectRows(bits, idx))));
  }

  /** Scores from logits: logits[j] belongs to slot slots[j]. */
  private scoresOf(logits: Float32Array[], slots: readonly number[], splits: readonly SplitName[], skip: ReadonlySet<number>): MemberScores[] {
    const { dataset, split } = this.data;
    const T = dataset.tasks.length, K = this.taskIdx.length;
    return slots.map((m, j) => {
      const perTask: Record<string, Record<SplitName, SplitScores>> = {};
      for (const t of this.taskIdx) perTask[dataset.tasks[t]] = Object.fromEntries(SPLITS.map((s) => [s, { weightedAccuracy: Number.NaN, rocAuc: Number.NaN }])) as Record<SplitName, SplitScores>;
      let off = 0;
      for (const s of splits) {
        const r = split[s];
        this.taskIdx.forEach((t, k) => {
          if (skip.has(m) || this.trainer.status[m] === 'failed' || r.length === 0) return;
          const y = Float64Array.from(r, (row) => dataset.y[row * T + t]);
          const w = Float64Array.from(r, (row) => dataset.w[row * T + t]);
          const score = Float64Array.from(r, (_, i) => logits[j][(off + i) * K + k]);
          if (!score.every(Number.isFinite)) return;
          perTask[dataset.tasks[t]][s] = { weightedAccuracy: accuracy(y, Uint8Array.from(score, (v) => (v > 0 ? 1 : 0)), w), rocAuc: rocAuc(y, score, w) };
        });
        off += r.length;
      }
      return { metrics: meanSplitScores(Object.values(perTask)), ...(K > 1 ? { tasks: perTask } : {}) };
    });
  }

  dispose(): void {
    this.trainer.dispose();
    this.opt.dispose();
    this.net.dispose();
  }
}

function toNetMember(m: MemberSpec): PopulationMember {
  return { seed: m.seed >>> 0, width: m.nHidden, keep: m.keepProb };
}
