/**
 * The book's `eval_tox21_hyperparams` on shadergrad: train the fully connected network on Tox21's training split
 * with the given hyperparameters and score train/valid/test with weighted accuracy (as sklearn's
 * `accuracy_score(y, ŷ, sample_weight=w)`) and ROC-AUC. `mode: 'book'` follows the chapter's code — N(0, 1) init,
 * loss = Σ_batch w·xent, Adam, batches in file order, ŷ = round(σ(logit)) — except that hidden layers stack (the
 * book's loop fed each from the input). One task, or `'all'` for one network with a logit per task.
 * A training step never reads back; the loss is read once per epoch.
 */
import { sigmoidCrossEntropy, add } from '../autograd/ops.ts';
import { keep, tidy } from '../autograd/scope.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { Backend } from '../backend/backend.ts';
import { selectRows } from '../data/sparse-bits.ts';
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { accuracy } from '../metrics/accuracy.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import { meanSplitScores, SPLITS, type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { Adam } from '../optim/optimizer.ts';
import { minibatches } from '../train/minibatches.ts';
import { predictBatches } from '../train/predict.ts';
import { BOOK_DEFAULTS, checkHyperparams, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';
import { Tox21Net } from './network.ts';

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
  metrics: Record<SplitName, SplitScores>;
  /** With task 'all': the metrics of each task. */
  tasks?: Record<string, Record<SplitName, SplitScores>>;
  lossCurve: number[];
  seconds: { train: number; predict: number; perEpoch: number };
  split: { train: number; valid: number; test: number };
}

export async function evalTox21Hyperparams(be: Backend, data: { dataset: MoleculeDataset; split: DataSplit }, opts: EvalOptions = {}): Promise<FcnResult> {
  const { dataset, split } = data;
  const h: FcnHyperparams = { ...BOOK_DEFAULTS };
  for (const k of Object.keys(BOOK_DEFAULTS) as (keyof FcnHyperparams)[]) if (opts[k] !== undefined) (h as unknown as Record<string, unknown>)[k] = opts[k];
  checkHyperparams(h);
  const mode = opts.mode ?? 'book';
  const seed = opts.seed ?? 0;
  const T = dataset.tasks.length;
  const taskName = opts.task ?? dataset.tasks[0];
  const taskIdx = taskName === 'all' ? null : dataset.tasks.indexOf(taskName);
  if (taskIdx === -1) throw new RangeError(`unknown task "${taskName}"; the dataset has ${dataset.tasks.join(', ')} (or use 'all')`);
  const tasks = taskIdx === null ? dataset.tasks.map((_, i) => i) : [taskIdx];
  const K = tasks.length;
  if (split.train.length === 0) throw new RangeError('the training split is empty');

  // Labels and loss weights of the training rows, [rows, K].
  const columns = (a: Float32Array | Uint8Array, rows: Uint32Array) => {
    const out = new Float32Array(rows.length * K);
    rows.forEach((r, i) => tasks.forEach((t, j) => (out[i * K + j] = a[r * T + t])));
    return out;
  };
  const trainY = columns(dataset.y, split.train);
  // Without weightPositives the book weighs every row 1; a multitask net still gives missing labels weight 0.
  const trainW = h.weightPositives ? columns(dataset.w, split.train) : K > 1 ? columns(dataset.labelled, split.train) : new Float32Array(split.train.length).fill(1);
  const trainBits = selectRows(dataset.features, split.train);

  const net = new Tox21Net(be, dataset.features.nBits, K, h, mode, seed).train();
  const opt = new Adam(net.parameters(), { lr: h.learningRate });
  const reduction = mode === 'book' ? 'sum' : 'mean';
  const lossCurve: number[] = [];
  let failed = false;
  const t0 = performance.now();
  try {
    for (let epoch = 0; epoch < h.nEpochs && !failed; epoch++) {
      const te = performance.now();
      const batches = minibatches(split.train.length, h.batchSize, { shuffle: mode === 'modern', seed, epoch });
      let total: Tensor | null = null;
      for (const idx of batches) {
        const next: Tensor = tidy(() => {
          opt.zeroGrad();
          const bits = selectRows(trainBits, idx);
          const y = Tensor.from(be, pick(trainY, idx, K), [idx.length, K]);
          const w = Tensor.from(be, pick(trainW, idx, K), [idx.length, K]);
          const loss = sigmoidCrossEntropy(net.forward(bits), y, w, reduction);
          loss.backward();
          opt.step();
          return total ? add(total, loss) : loss;
        });
        total?.dispose();
        total = keep(next);
      }
      const sum = (await total!.data())[0];
      total!.dispose();
      const perExample = reduction === 'sum' ? sum / split.train.length : sum / batches.length;
      lossCurve.push(perExample);
      if (!Number.isFinite(perExample)) failed = true;
      opts.onEpoch?.({ epoch, loss: perExample, seconds: (performance.now() - te) / 1000 });
    }
    const t1 = performance.now();
    const perTask: Record<string, Record<SplitName, SplitScores>> = {};
    for (const t of tasks) perTask[dataset.tasks[t]] = {} as Record<SplitName, SplitScores>;
    net.train(false);
    for (const s of SPLITS) {
      const rows = split[s];
      const bits = selectRows(dataset.features, rows);
      const logits = failed || rows.length === 0 ? null : await predictBatches(be, rows.length, 1024, (idx) => net.forward(selectRows(bits, idx)));
      tasks.forEach((t, j) => {
        const y = Float64Array.from(rows, (r) => dataset.y[r * T + t]);
        const w = Float64Array.from(rows, (r) => dataset.w[r * T + t]);
        const score = logits ? Float64Array.from(rows, (_, i) => logits[i * K + j]) : null;
        perTask[dataset.tasks[t]][s] = score
          ? { weightedAccuracy: accuracy(y, Uint8Array.from(score, (v) => (v > 0 ? 1 : 0)), w), rocAuc: rocAuc(y, score, w) }
          : { weightedAccuracy: Number.NaN, rocAuc: Number.NaN };
      });
    }
    const metrics = meanSplitScores(Object.values(perTask));
    const t2 = performance.now();
    return {
      model: 'fcn',
      task: taskName,
      mode,
      seed,
      hyperparameters: h,
      status: failed ? 'failed' : 'ok',
      metrics,
      ...(K > 1 ? { tasks: perTask } : {}),
      lossCurve,
      seconds: { train: (t1 - t0) / 1000, predict: (t2 - t1) / 1000, perEpoch: (t1 - t0) / 1000 / Math.max(1, lossCurve.length) },
      split: { train: split.train.length, valid: split.valid.length, test: split.test.length },
    };
  } finally {
    opt.dispose();
    net.dispose();
  }
}

/** Rows `idx` of a [rows, K] array. */
function pick(a: Float32Array, idx: Uint32Array, K: number): Float32Array {
  const out = new Float32Array(idx.length * K);
  idx.forEach((r, i) => out.set(a.subarray(r * K, r * K + K), i * K));
  return out;
}

