/**
 * A binary metric applied to each task of a multitask [rows × tasks] layout (the dataset's y, w and a model's
 * scores), and the mean over tasks where it is defined — DeepChem's "mean ROC-AUC over the 12 Tox21 assays". Tasks
 * where the metric is undefined are left out of the mean and listed, not counted as 0.5. Pure.
 */
import type { MetricValue } from './metric-value.ts';

export type BinaryMetric = (y: ArrayLike<number>, score: ArrayLike<number>, w?: ArrayLike<number>) => MetricValue;

export interface PerTaskScores {
  values: number[];
  reasons: (string | null)[];
  /** Mean over tasks with a defined value; NaN when none has one. */
  mean: number;
  definedTasks: number;
}

export function perTask(metric: BinaryMetric, y: ArrayLike<number>, score: ArrayLike<number>, w: ArrayLike<number> | undefined, nTasks: number): PerTaskScores {
  if (y.length % nTasks !== 0 || score.length !== y.length || (w && w.length !== y.length)) {
    throw new Error(`perTask: arrays of ${y.length}, ${score.length}${w ? `, ${w.length}` : ''} values do not form [rows × ${nTasks}]`);
  }
  const rows = y.length / nTasks;
  const values: number[] = [];
  const reasons: (string | null)[] = [];
  for (let t = 0; t < nTasks; t++) {
    const col = (a: ArrayLike<number>) => Float64Array.from({ length: rows }, (_, r) => a[r * nTasks + t]);
    const v = metric(col(y), col(score), w ? col(w) : undefined);
    values.push(v.value);
    reasons.push(v.reason);
  }
  const defined = values.filter((v) => !Number.isNaN(v));
  return { values, reasons, mean: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : Number.NaN, definedTasks: defined.length };
}
