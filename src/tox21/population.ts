/**
 * The book's network for many hyperparameter configurations at once: one Tox21 task (or all), one group of trials
 * that share a step's shape — layers, batch size, training mode, loss weighting — trained as a population (one set
 * of dispatches for every member) and scored per member. Members differ in seed, hidden width, learning rate, keep
 * probability and epochs. A solo run is a population of one, so `evalTox21Hyperparams` and the searches share the
 * code path, and a member equals its solo run (test/population-identity.test.ts).
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
import { checkHyperparams, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';

/** What every member of a population shares: the step's shape. */
export interface GroupShape {
  /** A task name, or 'all' for one network with a logit per task. */
  task: string;
  mode: TrainingMode;
  nLayers: number;
  batchSize: number;
  weightPositives: boolean;
}

/** What may differ between members. */
export interface MemberSpec {
  seed: number;
  nHidden: number;
  learningRate: number;
  keepProb: number;
  nEpochs: number;
}

export type Tox21Data = { dataset: MoleculeDataset; split: DataSplit };

export interface MemberScores {
  metrics: Record<SplitName, SplitScores>;
  /** With task 'all': each task's scores. */
  tasks?: Record<string, Record<SplitName, SplitScores>>;
}

export const SHAPE_KEYS = ['nLayers', 'batchSize', 'weightPositives'] as const;

export function groupShape(h: FcnHyperparams, mode: TrainingMode, task: string): GroupShape {
  return { task, mode, nLayers: h.nLayers, batchSize: h.batchSize, weightPositives: h.weightPositives };
}

export function shapeKey(s: GroupShape): string {
  return `${s.task}|${s.mode}|layers=${s.nLayers}|batch=${s.batchSize}|weighted=${s.weightPositives}`;
}

export function memberOf(h: FcnHyperparams, seed: number): MemberSpec {
  return { seed, nHidden: h.nHidden, learningRate: h.learningRate, keepProb: h.keepProb, nEpochs: h.nEpochs };
}

export class Tox21Population {
  readonly net: PopulationMlp;
  readonly opt: ModelOptimizer;
  readonly trainer: PopulationTrainer<BitRows>;
  readonly members: MemberSpec[];
  readonly taskIdx: number[];
  readonly taskName: string;
  /** Bit rows of the splits `score` was asked for, selected once (scored every epoch by the search). */
  private readonly scoreRows = new Map<string, { rows: Uint32Array; bits: SparseBits }>();

  constructor(readonly be: Backend, readonly data: Tox21Data, readonly shape: GroupShape, members: MemberSpec[], opts: { width?: number; dataSeed?: number } = {}) {
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
    this.members = members.map((m) => ({ ...m }));

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
    this.net = new PopulationMlp(be, {
      inputs: dataset.features.nBits,
      outputs: K,
      nLayers: shape.nLayers,
      activation: 'relu',
      // The book draws W and b from N(0, 1) (tf.random_normal); He suits ReLU layers.
      init: shape.mode === 'book' ? 'normal' : 'he',
      members: members.map(toNetMember),
      width,
    });
    this.opt = new ModelOptimizer(this.net.parameters(), members.length, { kind: 'adam', lr: members.map((m) => m.learningRate) });
    this.trainer = new PopulationTrainer(be, this.net, this.opt, set, {
      batchSize: shape.batchSize,
      reduction: shape.mode === 'book' ? 'sum' : 'mean',
      shuffle: shape.mode === 'modern',
      dataSeed: opts.dataSeed ?? members[0].seed,
      epochs: members.map((m) => m.nEpochs),
    });
  }

  get models(): number {
    return this.members.length;
  }

  epoch(): Promise<EpochReport> {
    return this.trainer.epoch();
  }

  /** Slot m (stopped, done or failed) takes a new member. */
  replace(m: number, member: MemberSpec): void {
    checkHyperparams({ ...member, nLayers: this.shape.nLayers, batchSize: this.shape.batchSize, weightPositives: this.shape.weightPositives });
    this.trainer.replace(m, toNetMember(member), member.learningRate, member.nEpochs);
    this.members[m] = { ...member };
  }

  /**
   * Every member's scores on `splits` (weighted accuracy as sklearn's accuracy_score with sample weights, ROC-AUC),
   * from one forward pass per batch for all models and one readback. Failed members, those listed in `skip`, and
   * any whose outputs are not finite get NaN.
   */
  async score(splits: readonly SplitName[] = SPLITS, skip: ReadonlySet<number> = new Set()): Promise<MemberScores[]> {
    const { dataset, split } = this.data;
    const T = dataset.tasks.length, K = this.taskIdx.length;
    const key = splits.join(',');
    let sel = this.scoreRows.get(key);
    if (!sel) {
      const rows = Uint32Array.from(splits.flatMap((s) => Array.from(split[s])));
      sel = { rows, bits: selectRows(dataset.features, rows) };
      this.scoreRows.set(key, sel);
    }
    const { rows, bits } = sel;
    this.net.train(false);
    const logits = rows.length === 0 ? [] : await predictModels(this.be, this.models, K, rows.length, (idx) => this.net.forward(BitRows.from(this.be, selectRows(bits, idx))));
    return this.members.map((_, m) => {
      const perTask: Record<string, Record<SplitName, SplitScores>> = {};
      for (const t of this.taskIdx) perTask[dataset.tasks[t]] = Object.fromEntries(SPLITS.map((s) => [s, { weightedAccuracy: Number.NaN, rocAuc: Number.NaN }])) as Record<SplitName, SplitScores>;
      let off = 0;
      for (const s of splits) {
        const r = split[s];
        this.taskIdx.forEach((t, j) => {
          if (skip.has(m) || this.trainer.status[m] === 'failed' || r.length === 0) return;
          const y = Float64Array.from(r, (row) => dataset.y[row * T + t]);
          const w = Float64Array.from(r, (row) => dataset.w[row * T + t]);
          const score = Float64Array.from(r, (_, i) => logits[m][(off + i) * K + j]);
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
