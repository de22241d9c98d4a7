/**
 * The one thing an ensemble is built from: each model's predictions on a split, [rows × tasks] row-major (row r,
 * task t at r·tasks + t), as the search keeps them for every complete trial. Checked once, before any work, so a
 * failed trial's NaN or a split of the wrong size is named rather than averaged in.
 */
export interface PredictionShape {
  rows: number;
  tasks: number;
}

/** Throws one line naming the first prediction array that is not [rows × tasks] of finite numbers. */
export function checkPredictions(what: string, predictions: readonly ArrayLike<number>[], shape: PredictionShape): void {
  predictions.forEach((p, c) => checkPrediction(what, p, c, shape));
}

/** The check of candidate c's predictions alone. */
export function checkPrediction(what: string, p: ArrayLike<number>, c: number, { rows, tasks }: PredictionShape): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(tasks) || tasks < 1) throw new RangeError(`${what}: rows and tasks must be positive integers, got ${rows} × ${tasks}`);
  if (p.length !== rows * tasks) throw new RangeError(`${what}: candidate ${c} has ${p.length} predictions, expected ${rows} rows × ${tasks} tasks = ${rows * tasks}`);
  for (let i = 0; i < p.length; i++) {
    if (!Number.isFinite(p[i])) throw new RangeError(`${what}: candidate ${c} predicts ${p[i]} at row ${Math.floor(i / tasks)}, task ${i % tasks}`);
  }
}
