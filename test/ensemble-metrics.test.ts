// The multitask objective the ensembles and the 12-task study optimise: the mean over tasks of each task's ROC-AUC,
// missing labels (NaN or weight 0) left out, one-class tasks skipped and counted.
import { describe, expect, it } from 'vitest';
import { maskMissing, meanRocAuc, meanWeightedAccuracy, rocAucObjective, weightedAccuracyObjective } from '../src/metrics/per-task.ts';
import { Rng } from '../src/random/rng.ts';

/** ROC-AUC by counting pairs: P(score of a positive > score of a negative) + ½ P(tie). */
function pairAuc(y: number[], s: number[]): number {
  let wins = 0, pairs = 0;
  y.forEach((yi, i) => y.forEach((yj, j) => {
    if (yi !== 1 || yj !== 0) return;
    pairs++;
    wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
  }));
  return wins / pairs;
}

describe('multitask objective', () => {
  const rows = 60, tasks = 5;
  const r = new Rng(7);
  const y = new Float32Array(rows * tasks), w = new Float32Array(rows * tasks), s = new Float32Array(rows * tasks);
  for (let i = 0; i < rows * tasks; i++) {
    const t = i % tasks;
    // Task 3 has no positives; task 4's labels are NaN except for rows of one class and a few masked ones.
    y[i] = t === 3 ? 0 : r.float() < 0.3 ? 1 : 0;
    if (t === 4) y[i] = r.float() < 0.5 ? Number.NaN : 1;
    w[i] = r.float() < 0.15 ? 0 : 1 + r.float();
    s[i] = Math.round(r.float() * 20) / 20; // coarse scores: ties
  }

  it('equals the mean of the per-task AUCs of the labelled rows', () => {
    const got = meanRocAuc(y, s, w, tasks);
    const expected: number[] = [];
    for (let t = 0; t < tasks; t++) {
      const yy: number[] = [], ss: number[] = [];
      for (let i = 0; i < rows; i++) {
        const k = i * tasks + t;
        if (w[k] > 0 && !Number.isNaN(y[k])) yy.push(y[k]), ss.push(s[k]);
      }
      if (yy.includes(0) && yy.includes(1)) expected.push(pairAuc(yy, ss));
      else expect(got.values[t]).toBeNaN();
    }
    expect(expected.length).toBe(3);
    expect(got.definedTasks).toBe(3);
    expect(got.mean).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / 3, 12);
    expect(got.reasons[3]).toContain('only one class');
    expect(got.reasons[4]).toContain('only one class');
  });

  it('the bound objectives (many scorings against one split) equal the one-off means', () => {
    const auc = rocAucObjective(y, w, tasks);
    const acc = weightedAccuracyObjective(y, w, tasks);
    // Task 0 has fewer positives than negatives, the flipped labels fewer negatives: both bisection sides.
    const flipped = y.map((v) => (Number.isNaN(v) ? v : 1 - v));
    const aucFlipped = rocAucObjective(flipped, w, tasks);
    for (let k = 0; k < 5; k++) {
      const sc = Float32Array.from(s, (v, i) => (k === 0 ? v : Math.round(new Rng(k * 1000 + i).float() * (k + 2)) / (k + 2)));
      const a = auc(sc), b = meanRocAuc(y, sc, w, tasks);
      a.values.forEach((v, t) => (Number.isNaN(b.values[t]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(b.values[t], 12)));
      expect(a.reasons).toEqual(b.reasons);
      expect(a.definedTasks).toBe(b.definedTasks);
      expect(aucFlipped(sc).mean).toBeCloseTo(meanRocAuc(flipped, sc, w, tasks).mean, 12);
      expect(acc(sc)).toEqual(meanWeightedAccuracy(y, sc, w, tasks));
    }
    expect(() => auc(s.subarray(1))).toThrow('scores for 300 labels');
  });

  it('masks NaN labels and zero weights alike', () => {
    const m = maskMissing([1, Number.NaN, 0, 1], [1, 1, 0, 2]);
    expect(Array.from(m.y)).toEqual([1, 0, 0, 1]);
    expect(Array.from(m.w)).toEqual([1, 0, 0, 2]);
    // Without weights a NaN is the only mask.
    expect(Array.from(maskMissing([Number.NaN, 1]).w)).toEqual([0, 1]);
  });

  it('weighted accuracy uses the weights as sample weights and ŷ = score > 0.5', () => {
    // Task 0: right on rows 0 (w 2) and 2 (w 1; 0.5 is not > 0.5), wrong on row 1 (w 3) → 3/6. Task 1: row 1 masked
    // (NaN), 2 of 2 right → 1.
    const a = meanWeightedAccuracy([1, 0, 0, Number.NaN, 0, 1], [0.9, 0.2, 0.6, 0.9, 0.5, 0.7], [2, 1, 3, 1, 1, 1], 2);
    expect(a.values).toEqual([0.5, 1]);
    expect(a.mean).toBe(0.75);
  });
});
