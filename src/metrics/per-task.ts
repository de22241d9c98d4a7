/**
 * A binary metric applied to each task of a multitask [rows × tasks] layout (the dataset's y, w and a model's
 * scores), and the mean over tasks where it is defined — DeepChem's "mean ROC-AUC over the 12 Tox21 assays". Tasks
 * where the metric is undefined are left out of the mean and listed, not counted as 0.5. Pure.
 */
import { definedMean } from '../stats/mean-sd.ts';
import { accuracyResult } from './accuracy.ts';
import type { MetricValue } from './metric-value.ts';
import { rocAucResult } from './roc-auc.ts';

export type BinaryMetric = (y: ArrayLike<number>, score: ArrayLike<number>, w?: ArrayLike<number>) => MetricValue;

export interface PerTaskScores {
  values: number[];
  reasons: (string | null)[];
  /** Mean over tasks with a defined value; NaN when none has one. */
  mean: number;
  definedTasks: number;
}

export function perTask(metric: BinaryMetric, y: ArrayLike<number>, score: ArrayLike<number>, w: ArrayLike<number> | undefined, nTasks: number): PerTaskScores {
  if (y.length % nTasks !== 0 || score.length !== y.length || (w && w.length !== y.length)) {
    throw new Error(`perTask: arrays of ${y.length}, ${score.length}${w ? `, ${w.length}` : ''} values do not form [rows × ${nTasks}]`);
  }
  const rows = y.length / nTasks;
  const values: number[] = [];
  const reasons: (string | null)[] = [];
  for (let t = 0; t < nTasks; t++) {
    const col = (a: ArrayLike<number>) => Float64Array.from({ length: rows }, (_, r) => a[r * nTasks + t]);
    const v = metric(col(y), col(score), w ? col(w) : undefined);
    values.push(v.value);
    reasons.push(v.reason);
  }
  const defined = values.filter((v) => !Number.isNaN(v));
  return { values, reasons, mean: definedMean(defined), definedTasks: defined.length };
}

/**
 * Labels and weights with every missing label weighing 0: a NaN label, or a weight of 0 (DeepChem's mask), is a
 * row the task does not count. Labels of such rows become 0 so the metrics' 0/1 check passes.
 */
export function maskMissing(y: ArrayLike<number>, w?: ArrayLike<number>): { y: Float32Array; w: Float32Array } {
  if (w && w.length !== y.length) throw new Error(`maskMissing: ${y.length} labels but ${w.length} weights`);
  const yy = new Float32Array(y.length);
  const ww = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const missing = Number.isNaN(y[i]) || (w !== undefined && !(w[i] > 0));
    yy[i] = missing ? 0 : y[i];
    ww[i] = missing ? 0 : w ? w[i] : 1;
  }
  return { y: yy, w: ww };
}

/**
 * The multitask objective: the mean over tasks of each task's ROC-AUC, rows with a missing label (NaN or weight 0)
 * left out. A task whose counted rows hold one class has no AUC: it is skipped, counted (definedTasks) and its
 * reason kept, never averaged in as NaN or 0.5.
 */
export function meanRocAuc(y: ArrayLike<number>, score: ArrayLike<number>, w: ArrayLike<number> | undefined, nTasks: number): PerTaskScores {
  const m = maskMissing(y, w);
  return perTask(rocAucResult, m.y, score, m.w, nTasks);
}

/**
 * The mean over tasks of each task's weighted accuracy with ŷ = [score > 0.5] — σ(logit) > 0.5, i.e. the book's
 * round(σ) — and `w` as sample weights (DeepChem's balancing weights), missing labels weighing 0.
 */
export function meanWeightedAccuracy(y: ArrayLike<number>, score: ArrayLike<number>, w: ArrayLike<number> | undefined, nTasks: number): PerTaskScores {
  const m = maskMissing(y, w);
  const predicted = new Uint8Array(score.length);
  for (let i = 0; i < score.length; i++) predicted[i] = score[i] > 0.5 ? 1 : 0;
  return perTask(accuracyResult, m.y, predicted, m.w, nTasks);
}

/** A multitask objective bound to one split's labels and weights: scores in, per-task values and their mean out. */
export type TaskObjective = (score: ArrayLike<number>) => PerTaskScores;

/**
 * meanRocAuc bound to fixed labels, for callers that score many predictions against one split (ensemble selection
 * tries every candidate at every pick). Each task's labelled rows are found once; an AUC is then the Mann-Whitney
 * count — for each positive, the negatives scoring below it plus half those tied — over a sorted copy of the
 * negatives' scores, which equals the trapezoid rule over the ROC points (ties count half in both).
 */
export function rocAucObjective(y: ArrayLike<number>, w: ArrayLike<number> | undefined, nTasks: number): TaskObjective {
  const m = maskMissing(y, w);
  const rows = checkTaskLayout('rocAucObjective', y.length, nTasks);
  const pos: Uint32Array[] = [], neg: Uint32Array[] = [], reasons: (string | null)[] = [];
  for (let t = 0; t < nTasks; t++) {
    const p: number[] = [], n: number[] = [];
    for (let r = 0; r < rows; r++) {
      const i = r * nTasks + t;
      if (!(m.w[i] > 0)) continue;
      if (m.y[i] === 1) p.push(i);
      else if (m.y[i] === 0) n.push(i);
      else throw new Error(`rocAucObjective: label of row ${r}, task ${t} is ${m.y[i]}, expected 0 or 1`);
    }
    pos.push(Uint32Array.from(p));
    neg.push(Uint32Array.from(n));
    reasons.push(p.length && n.length ? null : `ROC-AUC is undefined: only one class present (rows with w > 0: positives ${p.length}, negatives ${n.length})`);
  }
  const scratch = new Float64Array(Math.max(0, ...pos.map((p, t) => Math.min(p.length, neg[t].length))));
  return (score) => {
    if (score.length !== y.length) throw new Error(`rocAucObjective: ${score.length} scores for ${y.length} labels`);
    const values = reasons.map((reason, t) => (reason === null ? mannWhitneyAuc(score, pos[t], neg[t], scratch) : Number.NaN));
    return summarise(values, reasons);
  };
}

/** meanWeightedAccuracy bound to fixed labels and weights (ŷ = score > 0.5). */
export function weightedAccuracyObjective(y: ArrayLike<number>, w: ArrayLike<number> | undefined, nTasks: number): TaskObjective {
  const m = maskMissing(y, w);
  checkTaskLayout('weightedAccuracyObjective', y.length, nTasks);
  const total = new Float64Array(nTasks);
  for (let i = 0; i < y.length; i++) total[i % nTasks] += m.w[i];
  const reasons = Array.from(total, (t) => (t > 0 ? null : `accuracy is undefined: total weight is ${t}`));
  return (score) => {
    if (score.length !== y.length) throw new Error(`weightedAccuracyObjective: ${score.length} scores for ${y.length} labels`);
    const hit = new Float64Array(nTasks);
    for (let i = 0; i < score.length; i++) if ((score[i] > 0.5 ? 1 : 0) === m.y[i]) hit[i % nTasks] += m.w[i];
    return summarise(Array.from(hit, (h, t) => (reasons[t] === null ? h / total[t] : Number.NaN)), reasons);
  };
}

function checkTaskLayout(op: string, length: number, nTasks: number): number {
  if (!Number.isInteger(nTasks) || nTasks < 1 || length % nTasks !== 0) throw new Error(`${op}: ${length} labels do not form [rows × ${nTasks}]`);
  return length / nTasks;
}

function summarise(values: number[], reasons: (string | null)[]): PerTaskScores {
  const defined = values.filter((v) => !Number.isNaN(v));
  return { values, reasons: [...reasons], mean: definedMean(defined), definedTasks: defined.length };
}

/**
 * P(score of a positive > score of a negative) + ½ P(tie), from the positives' and negatives' row indices: the
 * smaller class is sorted (Tox21's positives, a few percent) and each row of the other is placed in it by bisection.
 */
function mannWhitneyAuc(score: ArrayLike<number>, pos: Uint32Array, neg: Uint32Array, scratch: Float64Array): number {
  const sortPos = pos.length <= neg.length;
  const [few, many] = sortPos ? [pos, neg] : [neg, pos];
  const sorted = scratch.subarray(0, few.length);
  for (let k = 0; k < few.length; k++) sorted[k] = score[few[k]];
  sorted.sort();
  if (Number.isNaN(sorted[few.length - 1])) throw new Error('rocAucObjective: a score is NaN');
  // Pairs (positive above negative) + ½ ties, counted from the side of `many`.
  let u = 0;
  for (let k = 0; k < many.length; k++) {
    const x = score[many[k]];
    if (Number.isNaN(x)) throw new Error('rocAucObjective: a score is NaN');
    const below = lowerBound(sorted, x);
    const ties = upperBound(sorted, x, below) - below;
    // x a negative: the positives above it; x a positive: the negatives below it.
    u += (sortPos ? few.length - below - ties : below) + ties / 2;
  }
  return u / (pos.length * neg.length);
}

/** Entries of sorted `a` below x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Entries of sorted `a` at or below x, searching from `from` (its lower bound). */
function upperBound(a: Float64Array, x: number, from: number): number {
  let lo = from, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
