/**
 * A model's predictions on the validation and test splits — the one shape every model family of the study hands
 * to the verdict: a searched network (a complete trial), a retrained seed, a forest, an ensemble. Probabilities are
 * [rows × tasks] row-major Float32 (row r, task t at r·tasks + t), rows in the split's order, columns named by
 * `tasks` (one column for a single-task study, twelve for `--task all`).
 *
 * Beside the shape: scoring it against the dataset's labels (per-task ROC-AUC and weighted accuracy, missing labels
 * weighing 0, and the mean over tasks — a task whose split holds one class is skipped and listed, never averaged
 * in as NaN or 0.5), and the serialized form a trial record carries under `detail.predictions` (base64 of
 * little-endian float32), so src/hpo/ stays generic and stores keep it as any other detail.
 */
import type { MoleculeDataset } from '../data/molecule-dataset.ts';
import type { DataSplit } from '../data/splits.ts';
import type { TrialRecord } from '../hpo/trial.ts';
import { meanRocAuc, meanWeightedAccuracy, type PerTaskScores } from '../metrics/per-task.ts';

export type EvalSplit = 'valid' | 'test';
export const EVAL_SPLITS: readonly EvalSplit[] = ['valid', 'test'];

export interface SplitPredictions {
  /** Column names, in column order. */
  tasks: string[];
  /** P(y = 1) on the validation split, [valid rows × tasks]. */
  valid: Float32Array;
  /** P(y = 1) on the test split, [test rows × tasks]. */
  test: Float32Array;
}

/** One split's labels and weights for some tasks, laid out as the predictions are. */
export interface SplitTargets {
  tasks: string[];
  rows: number;
  /** [rows × tasks] 0/1 labels (0 where missing). */
  labels: Float32Array;
  /** [rows × tasks] the dataset's balancing weights, 0 where a label is missing. */
  weights: Float32Array;
}

export type EvalTargets = Record<EvalSplit, SplitTargets>;

export interface MetricPair {
  auc: number;
  wacc: number;
}

export interface SplitScore extends MetricPair {
  /** Each task's values; NaN where the task's split cannot define the metric (see `skipped`). */
  perTask: Record<string, MetricPair>;
  /** Tasks left out of a mean, with why (a split with one class has no ROC-AUC). */
  skipped: { task: string; metric: 'auc' | 'wacc'; reason: string }[];
  /** Tasks each mean averaged. */
  tasksScored: { auc: number; wacc: number };
}

/**
 * Labels and weights of `tasks` (default: all the dataset's) on the rows `rows`, in that order. A weight is the
 * dataset's balancing weight where a label exists and 0 where it does not (DeepChem's mask), so metrics skip it.
 */
export function splitTargets(dataset: MoleculeDataset, rows: ArrayLike<number>, tasks: readonly string[] = dataset.tasks): SplitTargets {
  const K = dataset.tasks.length;
  const cols = tasks.map((t) => {
    const c = dataset.tasks.indexOf(t);
    if (c < 0) throw new RangeError(`no task "${t}" in ${dataset.source} (tasks: ${dataset.tasks.join(', ')})`);
    return c;
  });
  const T = cols.length;
  const labels = new Float32Array(rows.length * T), weights = new Float32Array(rows.length * T);
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < T; j++) {
      const at = rows[i] * K + cols[j];
      if (!dataset.labelled[at]) continue;
      labels[i * T + j] = dataset.y[at];
      weights[i * T + j] = dataset.w[at];
    }
  }
  return { tasks: [...tasks], rows: rows.length, labels, weights };
}

/** The validation and test targets of `tasks`: what every model of a verdict is scored against. */
export function evalTargets(dataset: MoleculeDataset, split: DataSplit, tasks: readonly string[] = dataset.tasks): EvalTargets {
  return { valid: splitTargets(dataset, split.valid, tasks), test: splitTargets(dataset, split.test, tasks) };
}

/** Throws one line naming the model, split and problem when `p` does not fit `targets` (or holds a non-finite value). */
export function checkSplitPredictions(what: string, p: SplitPredictions, targets: EvalTargets): void {
  if (!sameTasks(p.tasks, targets.valid.tasks)) throw new RangeError(`${what}: predictions for tasks [${p.tasks.join(', ')}], expected [${targets.valid.tasks.join(', ')}]`);
  for (const s of EVAL_SPLITS) {
    const a = p[s], t = targets[s];
    if (!(a instanceof Float32Array)) throw new TypeError(`${what}: ${s} predictions must be a Float32Array`);
    if (a.length !== t.rows * t.tasks.length) throw new RangeError(`${what}: ${a.length} ${s} predictions, expected ${t.rows} rows × ${t.tasks.length} tasks = ${t.rows * t.tasks.length}`);
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) throw new RangeError(`${what}: ${s} prediction at row ${Math.floor(i / t.tasks.length)}, task ${t.tasks[i % t.tasks.length]} is ${a[i]}`);
    }
  }
}

/** Per-task ROC-AUC and weighted accuracy (ŷ = p > 0.5, the dataset's weights as sample weights) and their means. */
export function scoreSplit(p: ArrayLike<number>, t: SplitTargets): SplitScore {
  if (p.length !== t.labels.length) throw new RangeError(`scoreSplit: ${p.length} predictions for ${t.rows} rows × ${t.tasks.length} tasks`);
  const T = t.tasks.length;
  const auc = meanRocAuc(t.labels, p, t.weights, T);
  const wacc = meanWeightedAccuracy(t.labels, p, t.weights, T);
  const perTask: Record<string, MetricPair> = {};
  t.tasks.forEach((name, j) => (perTask[name] = { auc: auc.values[j], wacc: wacc.values[j] }));
  return { auc: auc.mean, wacc: wacc.mean, perTask, skipped: [...skips(t.tasks, 'auc', auc), ...skips(t.tasks, 'wacc', wacc)], tasksScored: { auc: auc.definedTasks, wacc: wacc.definedTasks } };
}

export function scorePredictions(p: SplitPredictions, targets: EvalTargets): Record<EvalSplit, SplitScore> {
  return { valid: scoreSplit(p.valid, targets.valid), test: scoreSplit(p.test, targets.test) };
}

function skips(tasks: string[], metric: 'auc' | 'wacc', s: PerTaskScores): SplitScore['skipped'] {
  return s.reasons.flatMap((reason, j) => (reason === null ? [] : [{ task: tasks[j], metric, reason }]));
}

/** The mean probability of several models (a seed ensemble): same tasks, same rows. */
export function meanPredictions(ps: readonly SplitPredictions[], what = 'meanPredictions'): SplitPredictions {
  if (ps.length === 0) throw new RangeError(`${what}: no predictions to average`);
  const [first] = ps;
  const out: SplitPredictions = { tasks: [...first.tasks], valid: new Float32Array(first.valid.length), test: new Float32Array(first.test.length) };
  for (const s of EVAL_SPLITS) {
    const sum = new Float64Array(first[s].length);
    ps.forEach((p, k) => {
      if (!sameTasks(p.tasks, first.tasks) || p[s].length !== sum.length) throw new RangeError(`${what}: model ${k} predicts ${p[s].length} ${s} values for [${p.tasks.join(', ')}], model 0 ${sum.length} for [${first.tasks.join(', ')}]`);
      for (let i = 0; i < sum.length; i++) sum[i] += p[s][i];
    });
    for (let i = 0; i < sum.length; i++) out[s][i] = sum[i] / ps.length;
  }
  return out;
}

/** Columns `tasks` of `p` (e.g. NR-AR out of a 12-task network). */
export function selectTasks(p: SplitPredictions, tasks: readonly string[]): SplitPredictions {
  const cols = tasks.map((t) => {
    const c = p.tasks.indexOf(t);
    if (c < 0) throw new RangeError(`selectTasks: no task "${t}" in predictions for [${p.tasks.join(', ')}]`);
    return c;
  });
  const pick = (a: Float32Array) => {
    const rows = a.length / p.tasks.length;
    const out = new Float32Array(rows * cols.length);
    for (let r = 0; r < rows; r++) cols.forEach((c, j) => (out[r * cols.length + j] = a[r * p.tasks.length + c]));
    return out;
  };
  return { tasks: [...tasks], valid: pick(p.valid), test: pick(p.test) };
}

function sameTasks(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

// ---- serialized form: what a trial record's detail.predictions and the stores hold ----

export const PREDICTIONS_ENCODING = 'float32le-base64';

/** JSON-safe predictions: each split's Float32 values as base64 of their little-endian bytes. */
export interface SerializedPredictions {
  encoding: typeof PREDICTIONS_ENCODING;
  tasks: string[];
  rows: Record<EvalSplit, number>;
  valid: string;
  test: string;
}

export function encodePredictions(p: SplitPredictions): SerializedPredictions {
  const T = p.tasks.length;
  for (const s of EVAL_SPLITS) if (T === 0 || p[s].length % T !== 0) throw new RangeError(`encodePredictions: ${p[s].length} ${s} values do not form rows × ${T} tasks`);
  return {
    encoding: PREDICTIONS_ENCODING,
    tasks: [...p.tasks],
    rows: { valid: p.valid.length / T, test: p.test.length / T },
    valid: float32ToBase64(p.valid),
    test: float32ToBase64(p.test),
  };
}

/** Reads the serialized form back; `where` (e.g. "trial 12") names the record in the one-line error. */
export function decodePredictions(x: unknown, where = 'predictions'): SplitPredictions {
  const o = x as Partial<SerializedPredictions> | null;
  if (typeof o !== 'object' || o === null) throw new TypeError(`${where}: predictions must be an object, got ${x === null ? 'null' : typeof x}`);
  if (o.encoding !== PREDICTIONS_ENCODING) throw new TypeError(`${where}: predictions encoding must be "${PREDICTIONS_ENCODING}", got ${JSON.stringify(o.encoding)}`);
  if (!Array.isArray(o.tasks) || o.tasks.length === 0 || !o.tasks.every((t) => typeof t === 'string')) throw new TypeError(`${where}: predictions need a non-empty list of task names`);
  const out = { tasks: [...o.tasks] } as SplitPredictions;
  for (const s of EVAL_SPLITS) {
    const rows = o.rows?.[s];
    if (!Number.isInteger(rows) || rows! < 0) throw new RangeError(`${where}: predictions.rows.${s} must be an integer ≥ 0, got ${JSON.stringify(rows)}`);
    if (typeof o[s] !== 'string') throw new TypeError(`${where}: predictions.${s} must be a base64 string`);
    const a = base64ToFloat32(o[s] as string, `${where}: predictions.${s}`);
    if (a.length !== rows! * out.tasks.length) throw new RangeError(`${where}: predictions.${s} holds ${a.length} values, expected ${rows} rows × ${out.tasks.length} tasks`);
    out[s] = a;
  }
  return out;
}

/** The predictions a complete trial carries under detail.predictions, or null when it has none. */
export function trialPredictions(t: TrialRecord): SplitPredictions | null {
  const x = t.detail?.predictions;
  return x === undefined ? null : decodePredictions(x, `trial ${t.id}`);
}

/**
 * A trial without its predictions (~100 kB per trial with twelve tasks): for the study's --json and the report,
 * which need the scores, not the arrays the ensembles were built from.
 */
export function withoutPredictions(t: TrialRecord): TrialRecord {
  if (t.detail?.predictions === undefined) return t;
  const { predictions: _, ...detail } = t.detail;
  return { ...t, detail };
}

function float32ToBase64(a: Float32Array): string {
  const bytes = new Uint8Array(a.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i], true);
  // btoa takes a binary string; build it in chunks (String.fromCharCode has an argument limit).
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function base64ToFloat32(s: string, where: string): Float32Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new TypeError(`${where} is not valid base64`);
  }
  if (bin.length % 4 !== 0) throw new RangeError(`${where} decodes to ${bin.length} bytes, not a whole number of float32 values`);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float32Array(bin.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
