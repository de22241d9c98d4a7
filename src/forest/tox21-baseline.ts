/**
 * The book's random-forest baseline on one Tox21 task: which training rows it fits on (all of them with missing
 * labels as negatives, or `labeledOnly`), and how it is scored on each split — accuracy weighted by the dataset's
 * balancing weights (sklearn's `accuracy_score(y, ŷ, sample_weight=w)`) and ROC-AUC over rows with w > 0. The CLI,
 * the benchmark and the tests share it so they measure the same protocol.
 */
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import { selectRows, type SparseBits } from '../data/sparse-bits.ts';
import { accuracy } from '../metrics/accuracy.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import { meanSplitScores, SPLITS, type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { classify, type RandomForest } from './forest.ts';
import type { ForestOptions } from './options.ts';

/** The book's model: RandomForestClassifier(class_weight="balanced", n_estimators=50), sklearn's other defaults. */
export const BOOK_FOREST: ForestOptions = { nEstimators: 50, classWeight: 'balanced', maxFeatures: 'sqrt' };

export type ForestFitter = (x: SparseBits, y: Uint8Array, options: ForestOptions) => Promise<RandomForest> | RandomForest;

export { SPLITS, type SplitName, type SplitScores } from '../metrics/split-scores.ts';

export interface TaskBaseline {
  task: string;
  /** Rows the forest was fitted on. */
  trainRows: number;
  metrics: Record<SplitName, SplitScores>;
  seconds: { fit: number; predict: number };
}

/** Training rows of `task`: every row of the training split, or only those with a label. */
export function trainingRows(dataset: MoleculeDataset, split: DataSplit, task: number, labeledOnly: boolean): Uint32Array {
  if (!labeledOnly) return split.train;
  const T = dataset.tasks.length;
  return split.train.filter((r) => dataset.labelled[r * T + task] === 1);
}

/** Column `task` of a [rows × tasks] array, at `rows`. */
export function taskColumn<A extends Float32Array | Uint8Array>(a: A, nTasks: number, task: number, rows: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: rows.length }, (_, k) => a[rows[k] * nTasks + task]);
}

export async function runTaskBaseline(
  dataset: MoleculeDataset,
  split: DataSplit,
  taskName: string,
  options: { forest: ForestOptions; labeledOnly: boolean },
  fit: ForestFitter,
): Promise<TaskBaseline> {
  const T = dataset.tasks.length;
  const task = dataset.tasks.indexOf(taskName);
  if (task < 0) throw new RangeError(`unknown task "${taskName}"; the dataset has ${dataset.tasks.join(', ')}`);
  const rows = trainingRows(dataset, split, task, options.labeledOnly);
  // Missing labels are stored as 0, so outside labeledOnly they train as negatives, as in the book.
  const y = Uint8Array.from(taskColumn(dataset.y, T, task, rows));

  const t0 = performance.now();
  const forest = await fit(selectRows(dataset.features, rows), y, options.forest);
  const t1 = performance.now();
  const scored: Partial<Record<SplitName, { p: Float64Array; yhat: Uint8Array }>> = {};
  for (const s of SPLITS) {
    const x = selectRows(dataset.features, split[s]);
    const p = forest.predictProba(x);
    scored[s] = { p, yhat: classify(p) };
  }
  const t2 = performance.now();

  const metrics = {} as Record<SplitName, SplitScores>;
  for (const s of SPLITS) {
    const ys = taskColumn(dataset.y, T, task, split[s]);
    const ws = taskColumn(dataset.w, T, task, split[s]);
    const { p, yhat } = scored[s]!;
    metrics[s] = { weightedAccuracy: accuracy(ys, yhat, ws), rocAuc: rocAuc(ys, p, ws) };
  }
  return { task: taskName, trainRows: rows.length, metrics, seconds: { fit: (t1 - t0) / 1000, predict: (t2 - t1) / 1000 } };
}

/** Per split, the mean of each metric over the tasks where it is defined (NaN if none). */
export function meanScores(results: TaskBaseline[]): Record<SplitName, SplitScores> {
  return meanSplitScores(results.map((r) => r.metrics));
}
