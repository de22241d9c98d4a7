/**
 * A network's logits on the validation and test rows (scored together, valid first) as the SplitPredictions every
 * model family hands the verdict: sigmoid probabilities, [rows × tasks] per split, in the split's order.
 */
import { sigmoidOf } from '../train/predict.ts';
import type { SplitPredictions } from './split-predictions.ts';

/** `logits` holds [validRows + test rows] × tasks.length values, valid rows first. */
export function predictionsOf(logits: Float32Array, tasks: readonly string[], validRows: number): SplitPredictions {
  const cut = validRows * tasks.length;
  const p = sigmoidOf(logits);
  return { tasks: [...tasks], valid: p.slice(0, cut), test: p.slice(cut) };
}
