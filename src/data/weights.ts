/**
 * Per-task class weights that balance rare positives, as DeepChem's BalancingTransformer computes them, in its two
 * historical forms. `deepchem2017` (what the 2017 `load_tox21` and the book used): fitted on the whole dataset before
 * splitting; negatives 1, positives #neg/#pos over labelled rows (1 when a task has no positives). `train-balanced`
 * (DeepChem ≥ 2.4): fitted on the training rows only; each class c gets n/count_c over labelled training rows (0
 * for an absent class), then applied to every split. A missing label always has weight 0. Pure.
 */
export type WeightScheme = 'deepchem2017' | 'train-balanced';

export interface ClassWeights {
  negative: number;
  positive: number;
}

/** Class weights per task, fitted on `rows` (all rows when omitted). y, labelled: [rows × nTasks] row-major. */
export function fitClassWeights(
  scheme: WeightScheme,
  y: ArrayLike<number>,
  labelled: ArrayLike<number>,
  nTasks: number,
  rows?: ArrayLike<number>,
): ClassWeights[] {
  const nRows = labelled.length / nTasks;
  const out: ClassWeights[] = [];
  for (let t = 0; t < nTasks; t++) {
    let pos = 0;
    let neg = 0;
    const count = rows ? rows.length : nRows;
    for (let k = 0; k < count; k++) {
      const i = (rows ? rows[k] : k) * nTasks + t;
      if (!labelled[i]) continue;
      if (y[i] === 1) pos++;
      else neg++;
    }
    if (scheme === 'deepchem2017') out.push({ negative: 1, positive: pos > 0 ? neg / pos : 1 });
    else {
      const n = pos + neg;
      out.push({ negative: neg > 0 ? n / neg : 0, positive: pos > 0 ? n / pos : 0 });
    }
  }
  return out;
}

/** w[i, t] = the class weight of y[i, t], 0 where unlabelled. */
export function applyClassWeights(y: ArrayLike<number>, labelled: ArrayLike<number>, weights: ClassWeights[]): Float32Array {
  const nTasks = weights.length;
  const w = new Float32Array(labelled.length);
  for (let i = 0; i < w.length; i++) {
    if (!labelled[i]) continue;
    const cw = weights[i % nTasks];
    w[i] = y[i] === 1 ? cw.positive : cw.negative;
  }
  return w;
}
