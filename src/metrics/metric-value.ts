/**
 * A metric's value together with why it has none. ROC-AUC and average precision are undefined when a class is
 * absent; returning 0.5 or 0 there (as some libraries do) would let an empty test split look like a real result,
 * so those cases give NaN and a reason a report can print.
 */
export interface MetricValue {
  value: number;
  /** null when `value` is defined; otherwise why it is NaN. */
  reason: string | null;
}

export function undefinedMetric(reason: string): MetricValue {
  return { value: Number.NaN, reason };
}

/** Labels, scores and weights must align row for row; a length mismatch is a caller's bug, so it throws. */
export function checkLengths(name: string, a: ArrayLike<number>, b: ArrayLike<number>, w?: ArrayLike<number>): void {
  if (a.length !== b.length || (w && w.length !== a.length)) {
    throw new Error(`${name}: lengths differ (y ${a.length}, scores ${b.length}${w ? `, weights ${w.length}` : ''})`);
  }
}
