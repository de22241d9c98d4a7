// Greedy ensemble selection with replacement (src/ensemble/) on a scripted set of predictions whose picks and
// weights are worked out by hand below, the rank aggregator, and the rule that test predictions never choose.
import { describe, expect, it } from 'vitest';
import { applyEnsemble, normalisedRanks } from '../src/ensemble/aggregator.ts';
import { buildEnsemble, type Candidate } from '../src/ensemble/build.ts';
import { selectEnsemble } from '../src/ensemble/selector.ts';
import { meanWeightedAccuracy, weightedAccuracyObjective } from '../src/metrics/per-task.ts';
import { Rng } from '../src/random/rng.ts';

/*
 * Task 0, rows 0-2 positive, rows 3-5 negative, row 6 unlabelled (NaN); values in eighths so every sum is exact.
 *        row:  0  1  2 | 3  4  5
 *   A (0):     3  2  5 | 2  7  1
 *   B (1):     6  5  5 | 4  2  6
 *   C (2):     4  7  4 | 2  7  5
 *   D (3):     A again (a tie with A that the lower index must win)
 * ROC-AUC = (pairs positive > negative + ½ · ties) / 9. An ensemble's order is its members' sum's order.
 * Pick 1, singles: A: 3→2, 2→1.5, 5→2 = 5.5/9 = 11/18; B: 6→2.5, 5→2, 5→2 = 6.5/9 = 13/18;
 *   C: 4→1, 7→2.5, 4→1 = 4.5/9 = 1/2; D = A. → B, 13/18.
 * Pick 2, B + X: +A = [9 7 10 | 6 9 7]: 9→2.5, 7→1.5, 10→3 = 7/9; +B = B: 13/18;
 *   +C = [10 12 9 | 6 9 11]: 10→2, 12→3, 9→1.5 = 6.5/9; +D = +A, later index. → A, 7/9.
 * Pick 3, B + A + X: +A = [12 9 15 | 8 16 8]: 2+2+2 = 6/9; +B = [15 12 15 | 10 11 13]: 3+2+3 = 8/9;
 *   +C = [13 14 14 | 8 16 12]: 2+2+2 = 6/9. → B, 8/9.
 * Pick 4, 2B + A + X: +A = [18 14 20 | 12 18 14]: 2.5+1.5+3 = 7/9; +B = [21 17 20 | 14 13 19]: 3+2+3 = 8/9;
 *   +C = [19 19 19 | 12 18 18]: 3+3+3 = 1. → C, 1.
 * Size 4: picks B, A, B, C; weights A ¼, B ½, C ¼, D 0.
 * Task 1 has only negatives among its labelled rows: no AUC, so it is skipped and counted, never averaged in.
 * Row 6's predictions would change every AUC above if its NaN label were counted (A and D rank it top, B bottom).
 */
const E = (v: number[]) => v.map((x) => x / 8);
const task0 = { A: E([3, 2, 5, 2, 7, 1, 8]), B: E([6, 5, 5, 4, 2, 6, 0]), C: E([4, 7, 4, 2, 7, 5, 3]) };
const task1 = { A: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], B: [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1], C: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5] };
const rows = 7, tasks = 2;
const interleave = (a: number[], b: number[]) => Float32Array.from({ length: rows * tasks }, (_, i) => (i % 2 ? b : a)[i >> 1]);
const A = interleave(task0.A, task1.A), B = interleave(task0.B, task1.B), C = interleave(task0.C, task1.C);
const valid = [A, B, C, Float32Array.from(A)];
const labels = interleave([1, 1, 1, 0, 0, 0, Number.NaN], [0, 0, 0, 0, 0, 0, 0]);
const targets = { rows, tasks, labels };
// The AUC's float sums may differ from the fractions in the last bit.
const expectScores = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
};

describe('greedy ensemble selection with replacement', () => {
  it('picks and weighs as worked out by hand; ties go to the lowest index', () => {
    const s = selectEnsemble(valid, targets, { size: 4 });
    expect(s.picks).toEqual([1, 0, 1, 2]);
    expectScores(s.scores, [13 / 18, 7 / 9, 8 / 9, 1]);
    expect(Array.from(s.weights)).toEqual([0.25, 0.5, 0.25, 0]);
    expect(Array.from(s.counts)).toEqual([1, 2, 1, 0]);
    expect(s.single).toEqual([11 / 18, 13 / 18, 1 / 2, 11 / 18]);
    expect(s.bestSingle).toBe(1);
    expect(s.tasksScored).toBe(1);
    expect(s.skippedTasks).toEqual([{ task: 1, reason: expect.stringContaining('only one class') }]);
  });

  it('a weight of 0 masks a label as NaN does; the sorted initialisation starts from the best singles', () => {
    const w = interleave([1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1]);
    const masked = selectEnsemble(valid, { rows, tasks, labels: labels.map((v) => (Number.isNaN(v) ? 1 : v)), weights: w }, { size: 4 });
    expect(masked.picks).toEqual([1, 0, 1, 2]);
    // initBest 3 takes the three best singles, B (13/18), A and D (11/18): B + 2A = [12 9 15 | 8 16 8] = 6/9, worse
    // than pick 2. Pick 4, B + 2A + X: +A = [15 11 20 | 10 23 9]: 2+2+2 = 6/9; +B = [18 14 20 | 12 18 14]:
    // 2.5+1.5+3 = 7/9; +C = [16 16 19 | 10 23 13]: 2+2+2 = 6/9; +D = +A. → B.
    const init = selectEnsemble(valid, targets, { size: 4, initBest: 3 });
    expect(init.picks).toEqual([1, 0, 3, 1]);
    expectScores(init.scores, [13 / 18, 7 / 9, 6 / 9, 7 / 9]);
  });

  it("the weights applied to the validation predictions reproduce the selection's last score", () => {
    const s = selectEnsemble(valid, targets, { size: 7 });
    const ens = applyEnsemble(s.weights, valid, targets);
    const again = selectEnsemble([ens], targets, { size: 1 });
    expect(again.scores[0]).toBeCloseTo(s.scores.at(-1)!, 12);
    expect(s.scores.length).toBe(7);
    expect(s.counts.reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('scores with any per-task scorer (weighted accuracy, ŷ = score > 0.5)', () => {
    const s = selectEnsemble(valid, targets, { size: 3, scorer: weightedAccuracyObjective });
    // A, task 0: ŷ = [0 0 1 0 1 0] against [1 1 1 0 0 0] → 3/6; task 1 (all 7 rows negative, a defined accuracy):
    // 0.6 and 0.7 are > 0.5 → 5/7.
    expect(s.single[0]).toBeCloseTo((3 / 6 + 5 / 7) / 2, 12);
    expect(s.single[0]).toBeCloseTo(meanWeightedAccuracy(labels, A, undefined, tasks).mean, 12);
    expect(s.tasksScored).toBe(2);
    expect(s.scores[0]).toBe(Math.max(...s.single));
  });

  it('names bad input before it starts', () => {
    expect(() => selectEnsemble([], targets)).toThrow('no candidates');
    expect(() => selectEnsemble([A, B.subarray(2)], targets)).toThrow('candidate 1 has 12 predictions, expected 7 rows × 2 tasks = 14');
    const nan = Float32Array.from(B);
    nan[5] = Number.NaN;
    expect(() => selectEnsemble([A, nan], targets)).toThrow('candidate 1 predicts NaN at row 2, task 1');
    expect(() => selectEnsemble(valid, targets, { size: 0 })).toThrow('size must be a positive integer');
    expect(() => selectEnsemble(valid, targets, { initBest: 5 })).toThrow('initBest must be an integer in [0, 4]');
    expect(() => selectEnsemble(valid, { rows, tasks, labels: labels.map(() => 0) })).toThrow('undefined on every validation task');
    expect(() => selectEnsemble(valid, targets, { aggregator: 'median' as 'mean' })).toThrow('unknown aggregator "median"');
    expect(() => selectEnsemble(valid, { ...targets, labels: labels.subarray(2) })).toThrow('12 labels for 7 rows × 2 tasks');
    expect(() => applyEnsemble([0, 0], [A, B], targets)).toThrow('the weights sum to 0');
    expect(() => applyEnsemble([1, -1], [A, B], targets)).toThrow('weight of candidate 1 must be a finite number ≥ 0, got -1');
  });
});

describe('against a plain re-implementation', () => {
  /** Caruana's loop as written in the paper, with a pair-counting AUC: no shared code with src/ensemble. */
  function oracle(preds: Float32Array[], y: Float32Array, rowsN: number, tasksN: number, size: number): number[] {
    const auc = (s: Float64Array, t: number) => {
      let wins = 0, pairs = 0;
      for (let i = 0; i < rowsN; i++) {
        for (let j = 0; j < rowsN; j++) {
          if (y[i * tasksN + t] !== 1 || y[j * tasksN + t] !== 0) continue;
          pairs++;
          const a = s[i * tasksN + t], b = s[j * tasksN + t];
          wins += a > b ? 1 : a === b ? 0.5 : 0;
        }
      }
      return pairs ? wins / pairs : Number.NaN;
    };
    const objective = (s: Float64Array) => {
      const v = Array.from({ length: tasksN }, (_, t) => auc(s, t)).filter((x) => !Number.isNaN(x));
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    const sum = new Float64Array(rowsN * tasksN), picks: number[] = [];
    for (let k = 1; k <= size; k++) {
      let best = -1, bestScore = -Infinity;
      preds.forEach((p, c) => {
        const s = Float64Array.from(sum, (x, i) => (x + p[i]) / k);
        const v = objective(s);
        if (v > bestScore) (best = c), (bestScore = v);
      });
      picks.push(best);
      preds[best].forEach((x, i) => (sum[i] += x));
    }
    return picks;
  }

  it('picks what the paper\'s loop picks on 15 random candidates over 4 tasks', () => {
    const r = new Rng(3);
    const n = 40, t = 4;
    // Task 3 has no positives: skipped by both.
    const y = Float32Array.from({ length: n * t }, (_, i) => (i % t === 3 ? 0 : r.float() < 0.3 ? 1 : 0));
    // Scores rounded to tenths: many ties within a candidate and between candidates' AUCs.
    const preds = Array.from({ length: 15 }, () => Float32Array.from(y, (v) => Math.round((0.4 * v + 0.6 * r.float()) * 10) / 10));
    const s = selectEnsemble(preds, { rows: n, tasks: t, labels: y }, { size: 12 });
    expect(s.picks).toEqual(oracle(preds, y, n, t, 12));
    expect(s.tasksScored).toBe(3);
    expect(new Set(s.picks).size).toBeLessThan(12); // with replacement: some candidate came back
  });
});

describe('rank averaging', () => {
  it('maps each task to ranks in [0, 1], ties sharing their mean rank', () => {
    const r = normalisedRanks([0.2, 5, 0.5, 7, 0.5, 6, 0.1, 8], { rows: 4, tasks: 2 });
    expect(Array.from(r)).toEqual([1 / 3, 0, 2.5 / 3, 2 / 3, 2.5 / 3, 1 / 3, 0, 1]);
    expect(Array.from(normalisedRanks([0.3, 0.9], { rows: 1, tasks: 2 }))).toEqual([0.5, 0.5]);
  });

  it('weighs members on different scales alike, where the mean follows the wider one', () => {
    // Two members that disagree on rows 1 and 2: "forest" spreads over [0, 1], "network" squeezed into [0.01, 0.02].
    const forest = [0.9, 0.6, 0.2, 0.1], network = [0.02, 0.011, 0.019, 0.01];
    const shape = { rows: 4, tasks: 1 };
    const mean = applyEnsemble([1, 1], [forest, network], shape, 'mean');
    const rank = applyEnsemble([1, 1], [forest, network], shape, 'rank');
    expect(mean[1]).toBeGreaterThan(mean[2]); // the forest's order wins
    expect(rank[1]).toBeCloseTo(rank[2], 12); // ranks (2/3 + 1/3) / 2 = (1/3 + 2/3) / 2
    expect(Array.from(rank)).toEqual([1, 0.5, 0.5, 0]);
  });

  it('selects on ranks: a member and its monotone rescaling are the same member', () => {
    const cube = Float32Array.from(B, (v) => v ** 3);
    const s = selectEnsemble([A, cube, C], targets, { size: 4, aggregator: 'rank' });
    const t = selectEnsemble([A, B, C], targets, { size: 4, aggregator: 'rank' });
    expect(s.picks).toEqual(t.picks);
    expect(s.scores).toEqual(t.scores);
    expect(s.aggregator).toBe('rank');
  });
});

describe('test predictions never choose', () => {
  const testRows = 5;
  const noise = (seed: number) => {
    const r = new Rng(seed);
    return Float32Array.from({ length: testRows * tasks }, () => r.float());
  };
  const make = (tests: Float32Array[]): Candidate[] => valid.map((v, c) => ({ name: `model ${c}`, valid: v, test: tests[c] }));

  it('gives the same selection whatever the test arrays hold', () => {
    const real = valid.map((_, c) => noise(10 + c));
    const permuted = [real[3], real[0], real[2], real[1]];
    const garbage = valid.map((_, c) => noise(99 + c).map((v) => v * 1e6 - 5e5));
    const built = [real, permuted, garbage].map((t) => buildEnsemble(make(t), targets, { size: 5 }));
    for (const b of built.slice(1)) {
      expect(b.selection).toEqual(built[0].selection);
      expect(b.members).toEqual(built[0].members);
      expect(Array.from(b.valid)).toEqual(Array.from(built[0].valid));
    }
    // And the test split gets the chosen weights applied to its own predictions.
    expect(Array.from(built[2].test!)).toEqual(Array.from(applyEnsemble(built[2].selection.weights, garbage, { rows: testRows, tasks })));
    expect(built[0].members.map((m) => m.name)).toEqual(['model 0', 'model 1', 'model 2']);
  });

  it('the selector is given validation arrays only: a candidate set without test predictions selects the same', () => {
    const without = buildEnsemble(valid.map((v) => ({ valid: v })), targets, { size: 5 });
    const withTest = buildEnsemble(make(valid.map((_, c) => noise(c))), targets, { size: 5 });
    expect(without.selection).toEqual(withTest.selection);
    expect(without.test).toBeNull();
    expect(() => buildEnsemble([{ valid: A, test: noise(1) }, { valid: B }], targets)).toThrow('1 of 2 candidates carry test predictions');
  });
});

describe('bagged ensemble selection', () => {
  it('with every bag drawing every candidate, it is plain selection repeated: same picks per bag, same weights', () => {
    const plain = selectEnsemble(valid, targets, { size: 4 });
    const bagged = selectEnsemble(valid, targets, { size: 4, bags: 3, bagFraction: 1, bagSeed: 7 });
    expect(bagged.bagging?.drawn).toEqual([[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]);
    expect(bagged.picks).toEqual([...plain.picks, ...plain.picks, ...plain.picks]);
    expect(bagged.counts).toEqual(plain.counts.map((k) => 3 * k));
    expect(bagged.weights).toEqual(plain.weights);
    expect(bagged.score).toBeCloseTo(1, 12);
  });

  it('a bag of two candidates picks as the hand-worked pairs say, and the bags pool their picks', () => {
    // Each bag's picks are the plain selector's on that pair (checked by hand in the first test); the bags pool them.
    const s = selectEnsemble(valid, targets, { size: 4, bags: 10, bagFraction: 0.5, bagSeed: 3 });
    const drawn = s.bagging!.drawn;
    expect(drawn).toHaveLength(10);
    const want = new Array(4).fill(0);
    for (const pool of drawn) {
      expect(pool).toHaveLength(2);
      expect(pool[0]).toBeLessThan(pool[1]);
      const pair = selectEnsemble(pool.map((c) => valid[c]), targets, { size: 4 });
      pair.counts.forEach((k, j) => (want[pool[j]] += k));
    }
    expect(s.counts).toEqual(want);
    expect(s.weights).toEqual(want.map((k) => k / 40));
    expect(s.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // A and its copy D share weight across bags instead of A taking it all (plain selection gives D nothing).
    // Seed 3 draws {C, D} among its bags: D (= A, 11/18 alone) beats C (1/2) there.
    expect(drawn).toContainEqual([2, 3]);
    expect(s.counts[3]).toBeGreaterThan(0);
    // Same seed, same bags; another seed draws others.
    expect(selectEnsemble(valid, targets, { size: 4, bags: 10, bagFraction: 0.5, bagSeed: 3 })).toEqual(s);
    expect(selectEnsemble(valid, targets, { size: 4, bags: 10, bagFraction: 0.5, bagSeed: 4 }).bagging!.drawn).not.toEqual(drawn);
  });

  it('refuses bad bagging options by name', () => {
    expect(() => selectEnsemble(valid, targets, { bags: 0 })).toThrow(/bags must be a positive integer, got 0/);
    expect(() => selectEnsemble(valid, targets, { bags: 2, bagFraction: 0 })).toThrow(/bagFraction must be in \(0, 1\], got 0/);
    expect(() => selectEnsemble(valid, targets, { bags: 2, bagSeed: -1 })).toThrow(/bagSeed must be an integer ≥ 0, got -1/);
    expect(() => selectEnsemble(valid, targets, { size: 4, bags: 2, bagFraction: 0.5, initBest: 3 })).toThrow(/initBest 3 exceeds the 2 candidates a bag draws/);
  });

  it('test predictions never reach a bagged selection', () => {
    const rng = new Rng(5);
    const cands: Candidate[] = valid.map((v, i) => ({ name: `m${i}`, valid: v, test: Float32Array.from({ length: 6 * tasks }, () => rng.float()) }));
    const garbled: Candidate[] = cands.map((c) => ({ ...c, test: Float32Array.from(c.test as Float32Array, (x) => 1 - x) }));
    const o = { size: 4, bags: 5, bagSeed: 1, testRows: 6 };
    expect(buildEnsemble(garbled, targets, o).selection).toEqual(buildEnsemble(cands, targets, o).selection);
  });
});
