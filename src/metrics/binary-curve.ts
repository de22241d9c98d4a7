/**
 * The cumulative true/false positive counts at each distinct score threshold, highest score first — the curve
 * scikit-learn's `_binary_clf_curve` builds and both ROC-AUC and average precision read. Tied scores form one
 * threshold, which is how ties are handled (a tie between a positive and a negative counts half in the AUC).
 * Counts are weighted sums when weights are given; rows of weight 0 add nothing. Pure.
 */
export interface BinaryCurve {
  /** Cumulative (weighted) positives / negatives scoring ≥ each threshold, thresholds descending. */
  tps: Float64Array;
  fps: Float64Array;
  thresholds: Float64Array;
}

/** `rows` (optional) restricts the curve to those row indices. `y` must be 0/1. */
export function binaryCurve(y: ArrayLike<number>, score: ArrayLike<number>, weight?: ArrayLike<number>, rows?: ArrayLike<number>): BinaryCurve {
  const n = rows ? rows.length : y.length;
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    if (Number.isNaN(score[i])) throw new Error(`score of row ${i} is NaN`);
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`label of row ${i} is ${y[i]}, expected 0 or 1`);
    order[k] = i;
  }
  order.sort((a, b) => (score[b] > score[a] ? 1 : score[b] < score[a] ? -1 : 0)); // ±Infinity-safe, unlike a difference
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const wi = weight ? weight[i] : 1;
    if (y[i] === 1) tp += wi;
    else fp += wi;
    if (k === n - 1 || score[order[k + 1]] !== score[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(score[i]);
    }
  }
  return { tps: Float64Array.from(tps), fps: Float64Array.from(fps), thresholds: Float64Array.from(thresholds) };
}
