/**
 * An ensemble from candidates that carry predictions on several splits, as a search's trials do: the selector
 * sees each candidate's validation predictions only, and the weights it returns are then applied to the test
 * split. Whatever the test arrays hold, the selection is the same (test/ensemble-selection.test.ts).
 */
import { applyEnsemble } from './aggregator.ts';
import { checkPredictions, type PredictionShape } from './predictions.ts';
import { selectEnsemble, type Selection, type SelectionOptions, type ValidationTargets } from './selector.ts';

export interface Candidate {
  /** A label for reports (a trial number, "forest seed 2"). */
  name?: string;
  /** Validation predictions [rows × tasks]: the only ones selection reads. */
  valid: ArrayLike<number>;
  /** Test predictions [test rows × tasks], given to all candidates or to none. */
  test?: ArrayLike<number>;
}

export interface BuiltEnsemble {
  selection: Selection;
  /** The names of the candidates picked at least once, by candidate index. */
  members: { index: number; name: string; weight: number }[];
  valid: Float64Array;
  /** Null when the candidates carry no test predictions. */
  test: Float64Array | null;
}

export function buildEnsemble(candidates: readonly Candidate[], valid: ValidationTargets, opts: SelectionOptions & { testRows?: number } = {}): BuiltEnsemble {
  const withTest = candidates.filter((c) => c.test !== undefined).length;
  if (withTest !== 0 && withTest !== candidates.length) throw new RangeError(`ensemble: ${withTest} of ${candidates.length} candidates carry test predictions; give them to all or none`);
  const shape = { rows: valid.rows, tasks: valid.tasks };
  let testShape: PredictionShape | null = null;
  if (withTest) {
    const testRows = opts.testRows ?? candidates[0].test!.length / valid.tasks;
    testShape = { rows: testRows, tasks: valid.tasks };
    checkPredictions('ensemble test predictions', candidates.map((c) => c.test!), testShape);
  }
  // Selection is given the validation arrays and nothing else.
  const selection = selectEnsemble(candidates.map((c) => c.valid), valid, opts);
  const aggregator = opts.aggregator ?? selection.aggregator;
  const members = selection.counts.flatMap((k, index) => (k > 0 ? [{ index, name: candidates[index].name ?? `candidate ${index}`, weight: selection.weights[index] }] : []));
  return {
    selection,
    members,
    valid: applyEnsemble(selection.weights, candidates.map((c) => c.valid), shape, aggregator),
    test: testShape ? applyEnsemble(selection.weights, candidates.map((c) => c.test!), testShape, aggregator) : null,
  };
}
