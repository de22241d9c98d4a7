/**
 * How an ensemble combines its members' predictions, kept apart from how members are chosen (selector.ts), as
 * DeepHyper splits its ensembles into a selector and an aggregator. Each aggregator here maps one member's
 * predictions on a split to per-row values and the ensemble is the weighted mean of those, so the selector can try
 * a candidate by adding its values to a running sum.
 *
 * - `mean`: the weighted mean of the members' probabilities (Caruana et al. 2004; auto-sklearn).
 * - `rank`: per task, each member's scores replaced by their ranks over the split's rows, normalised to [0, 1],
 *   then averaged — for members whose probabilities live on different scales (a forest's vote fractions and a
 *   network's sigmoids): only each member's ordering counts. Its output is not a probability, so it suits ROC-AUC,
 *   not a 0.5 threshold.
 */
import { checkPrediction, type PredictionShape } from './predictions.ts';

export type AggregatorName = 'mean' | 'rank';

export interface Aggregator {
  readonly name: AggregatorName;
  /** One member's contribution on one split, [rows × tasks]: the ensemble is the weighted mean of these. */
  member(predictions: ArrayLike<number>, shape: PredictionShape): Float64Array;
}

export const meanAggregator: Aggregator = { name: 'mean', member: (p) => Float64Array.from(p) };
export const rankAggregator: Aggregator = { name: 'rank', member: normalisedRanks };

export function aggregatorNamed(a: AggregatorName | Aggregator = 'mean'): Aggregator {
  if (typeof a !== 'string') return a;
  if (a === 'mean') return meanAggregator;
  if (a === 'rank') return rankAggregator;
  throw new RangeError(`ensemble: unknown aggregator "${a as string}" (mean or rank)`);
}

/**
 * Per task, the rank of each row's score among the split's rows (ties share their mean rank, as scipy's rankdata
 * 'average'), mapped to [0, 1]: (rank − 1) / (rows − 1); a split of one row gets 0.5.
 */
export function normalisedRanks(p: ArrayLike<number>, { rows, tasks }: PredictionShape): Float64Array {
  const out = new Float64Array(rows * tasks);
  const order = new Uint32Array(rows);
  for (let t = 0; t < tasks; t++) {
    for (let r = 0; r < rows; r++) order[r] = r;
    const at = (r: number) => p[r * tasks + t];
    order.sort((a, b) => at(a) - at(b));
    for (let i = 0; i < rows; ) {
      let j = i;
      while (j + 1 < rows && at(order[j + 1]) === at(order[i])) j++;
      // Positions i..j (0-based) tie: their mean position is (i + j) / 2.
      const value = rows > 1 ? (i + j) / 2 / (rows - 1) : 0.5;
      for (let k = i; k <= j; k++) out[order[k] * tasks + t] = value;
      i = j + 1;
    }
  }
  return out;
}

/**
 * The ensemble's predictions on any split (valid, test): Σ weights[c] · member(predictions[c]) / Σ weights, with
 * the weights a selection chose. Members of weight 0 are neither read nor transformed.
 */
export function applyEnsemble(weights: ArrayLike<number>, predictions: readonly ArrayLike<number>[], shape: PredictionShape, aggregator: AggregatorName | Aggregator = 'mean'): Float64Array {
  if (weights.length !== predictions.length) throw new RangeError(`applyEnsemble: ${weights.length} weights for ${predictions.length} candidates`);
  const agg = aggregatorNamed(aggregator);
  let total = 0;
  for (let c = 0; c < weights.length; c++) {
    if (!(weights[c] >= 0) || !Number.isFinite(weights[c])) throw new RangeError(`applyEnsemble: weight of candidate ${c} must be a finite number ≥ 0, got ${weights[c]}`);
    total += weights[c];
  }
  if (!(total > 0)) throw new RangeError('applyEnsemble: the weights sum to 0; no member to apply');
  predictions.forEach((p, c) => weights[c] > 0 && checkPrediction('applyEnsemble', p, c, shape));
  const out = new Float64Array(shape.rows * shape.tasks);
  predictions.forEach((p, c) => {
    if (!(weights[c] > 0)) return;
    const m = agg.member(p, shape);
    const wc = weights[c] / total;
    for (let i = 0; i < out.length; i++) out[i] += wc * m[i];
  });
  return out;
}
