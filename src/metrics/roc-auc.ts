/**
 * ROC-AUC as scikit-learn's `roc_auc_score` computes it: the trapezoid rule over the ROC points at distinct score
 * thresholds, so ties count half. Weights: by default `w` is only a mask — rows with w > 0 count, each once — which
 * is how DeepChem and the book score Tox21 (a missing label has w = 0). `{ weighted: true }` uses `w` as sklearn's
 * `sample_weight` instead. With DeepChem's balancing weights (constant within a class) both give the same AUC,
 * since each class's weights cancel in its rate. When the counted rows hold only one class the AUC is undefined:
 * NaN with a reason (sklearn raises), never 0.5. Pure.
 */
import { binaryCurve } from './binary-curve.ts';
import { checkLengths, undefinedMetric, type MetricValue } from './metric-value.ts';

export interface RocAucOptions {
  /** Use `w` as sample weights (sklearn's sample_weight) rather than as a w > 0 mask. */
  weighted?: boolean;
}

export function rocAucResult(y: ArrayLike<number>, score: ArrayLike<number>, w?: ArrayLike<number>, opts: RocAucOptions = {}): MetricValue {
  checkLengths('rocAuc', y, score, w);
  const rows = w && !opts.weighted ? maskRows(w) : undefined;
  const { tps, fps } = binaryCurve(y, score, opts.weighted ? w : undefined, rows);
  const m = tps.length;
  const P = m > 0 ? tps[m - 1] : 0;
  const N = m > 0 ? fps[m - 1] : 0;
  if (!(P > 0) || !(N > 0)) {
    const scope = w ? (opts.weighted ? 'total weight' : 'rows with w > 0') : 'rows';
    return undefinedMetric(`ROC-AUC is undefined: only one class present (${scope}: positives ${P}, negatives ${N})`);
  }
  // Trapezoids between consecutive points, starting from (0, 0).
  let area = 0;
  let prevF = 0;
  let prevT = 0;
  for (let k = 0; k < m; k++) {
    const f = fps[k] / N;
    const t = tps[k] / P;
    area += ((f - prevF) * (t + prevT)) / 2;
    prevF = f;
    prevT = t;
  }
  return { value: area, reason: null };
}

/** ROC-AUC, NaN when undefined (see rocAucResult for the reason). */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>, w?: ArrayLike<number>, opts: RocAucOptions = {}): number {
  return rocAucResult(y, score, w, opts).value;
}

export function maskRows(w: ArrayLike<number>): Uint32Array {
  const rows: number[] = [];
  for (let i = 0; i < w.length; i++) if (w[i] > 0) rows.push(i);
  return Uint32Array.from(rows);
}
