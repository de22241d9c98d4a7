/**
 * The one mean ± standard deviation of the project (scores over seeds, tasks or trials). A leaf module that imports
 * nothing, so the generic search (src/hpo/) may use it as it uses src/random/. The standard deviation is the
 * sample one (n − 1), as the book reports repetitions; one value has sd 0, none has mean and sd NaN.
 */

export interface MeanSd {
  mean: number;
  sd: number;
}

/** Mean and sample standard deviation of every value (a NaN makes both NaN). */
export function meanSd(values: readonly number[]): MeanSd {
  if (values.length === 0) return { mean: Number.NaN, sd: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

/** Mean of the defined values, NaNs (an AUC of a one-class split) left out; NaN when none is defined. */
export function definedMean(values: readonly number[]): number {
  return meanSd(values.filter((v) => !Number.isNaN(v))).mean;
}
