/**
 * PR-AUC as scikit-learn's `average_precision_score`: AP = Σ_k (R_k − R_{k−1}) · P_k over distinct score thresholds,
 * highest first, with R_0 = 0 — no interpolation, ties as one threshold. Weights as in roc-auc.ts: a w > 0 mask by
 * default, sklearn's sample_weight with `{ weighted: true }` (which, unlike for AUC, changes AP: precision mixes
 * the classes). With no positive among the counted rows AP is undefined: NaN with a reason (sklearn warns and
 * returns a number). With no negative it is 1. Pure.
 */
import { binaryCurve } from './binary-curve.ts';
import { checkLengths, undefinedMetric, type MetricValue } from './metric-value.ts';
import { maskRows, type RocAucOptions } from './roc-auc.ts';

export function averagePrecisionResult(y: ArrayLike<number>, score: ArrayLike<number>, w?: ArrayLike<number>, opts: RocAucOptions = {}): MetricValue {
  checkLengths('averagePrecision', y, score, w);
  const rows = w && !opts.weighted ? maskRows(w) : undefined;
  const { tps, fps } = binaryCurve(y, score, opts.weighted ? w : undefined, rows);
  const m = tps.length;
  const P = m > 0 ? tps[m - 1] : 0;
  if (!(P > 0)) {
    const scope = w ? (opts.weighted ? 'total positive weight' : 'positives among rows with w > 0') : 'positives';
    return undefinedMetric(`average precision is undefined: no positive class (${scope}: ${P})`);
  }
  let ap = 0;
  let prevR = 0;
  for (let k = 0; k < m; k++) {
    const predicted = tps[k] + fps[k];
    const precision = predicted !== 0 ? tps[k] / predicted : 0; // sklearn: 0 where nothing is predicted positive
    const recall = tps[k] / P;
    ap += (recall - prevR) * precision;
    prevR = recall;
  }
  return { value: ap, reason: null };
}

/** Average precision, NaN when undefined (see averagePrecisionResult for the reason). */
export function averagePrecision(y: ArrayLike<number>, score: ArrayLike<number>, w?: ArrayLike<number>, opts: RocAucOptions = {}): number {
  return averagePrecisionResult(y, score, w, opts).value;
}
