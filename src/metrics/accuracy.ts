/**
 * Accuracy exactly as scikit-learn's `accuracy_score(y, ŷ, sample_weight=w)`: Σ w·[y = ŷ] / Σ w. Here `w` is a
 * true sample weight, so with DeepChem's balancing weights this is the class-balanced accuracy DeepChem reports, and
 * unlabelled rows (w = 0) drop out. Total weight 0 leaves it undefined: NaN with a reason (numpy raises). Pure.
 */
import { checkLengths, undefinedMetric, type MetricValue } from './metric-value.ts';

export function accuracyResult(y: ArrayLike<number>, predicted: ArrayLike<number>, w?: ArrayLike<number>): MetricValue {
  checkLengths('accuracy', y, predicted, w);
  let hit = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    total += wi;
    if (y[i] === predicted[i]) hit += wi;
  }
  if (!(total > 0)) return undefinedMetric(`accuracy is undefined: total weight is ${total}`);
  return { value: hit / total, reason: null };
}

export function accuracy(y: ArrayLike<number>, predicted: ArrayLike<number>, w?: ArrayLike<number>): number {
  return accuracyResult(y, predicted, w).value;
}

/** 1 where score ≥ threshold, else 0: predicted labels from probabilities. */
export function threshold(score: ArrayLike<number>, at = 0.5): Uint8Array {
  const out = new Uint8Array(score.length);
  for (let i = 0; i < score.length; i++) out[i] = score[i] >= at ? 1 : 0;
  return out;
}
