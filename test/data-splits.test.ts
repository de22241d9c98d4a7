import { describe, expect, it } from 'vitest';
import { permutation, Rng } from '../src/random/rng.ts';
import { indexSplit, randomSplit, scaffoldSplit } from '../src/data/splits.ts';
import { applyClassWeights, fitClassWeights } from '../src/data/weights.ts';

const sizes = (s: { train: Uint32Array; valid: Uint32Array; test: Uint32Array }) => [s.train.length, s.valid.length, s.test.length];

describe('index split', () => {
  it('cuts at ⌊0.8 n⌋ and ⌊(0.8 + 0.1) n⌋ like DeepChem', () => {
    expect(sizes(indexSplit(7831))).toEqual([6264, 783, 784]);
    expect(sizes(indexSplit(10))).toEqual([8, 1, 1]);
    expect(sizes(indexSplit(7))).toEqual([5, 1, 1]); // ⌊5.6⌋ = 5, ⌊6.3⌋ = 6
    expect(sizes(indexSplit(0))).toEqual([0, 0, 0]);
    const s = indexSplit(12);
    expect([...s.train, ...s.valid, ...s.test]).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});

describe('random split', () => {
  it('is deterministic per seed, differs across seeds, and is a permutation', () => {
    expect(randomSplit(1000, 3)).toEqual(randomSplit(1000, 3));
    expect(randomSplit(1000, 3).train).not.toEqual(randomSplit(1000, 4).train);
    const s = randomSplit(1000, 3);
    expect(sizes(s)).toEqual([800, 100, 100]);
    expect([...s.train, ...s.valid, ...s.test].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('draws uniform numbers in [0, 1)', () => {
    const randRng = new Rng(42);
    const rand = () => randRng.float();
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rand();
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.005);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // every position equally likely for element 0 over many shuffles of 4
    const counts = [0, 0, 0, 0];
    const r2Rng = new Rng(1);
    for (let i = 0; i < 40_000; i++) counts[permutation(4, r2Rng).indexOf(0)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});

describe('scaffold split', () => {
  it('orders groups by size, ties by later first row first, and never splits a group', () => {
    // 20 rows: A×9 (rows 0–8), B×5, C×2 (rows 14, 15), D×2 (rows 16, 17), E, F.
    const scaffolds = [...'AAAAAAAAABBBBBCCDDEF'];
    const s = scaffoldSplit(scaffolds);
    // train cutoff 16, valid cutoff 18.000000000000004: A (9) + B (5) = 14 ≤ 16; D (first row 16) before C (14):
    // D would make 16, not > 16, so train takes D; C would make 18 > 16 → valid (2 ≤ 18); F, E → test.
    expect(Array.from(s.train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17]);
    expect(Array.from(s.valid)).toEqual([14, 15]);
    expect(Array.from(s.test)).toEqual([19, 18]);
  });
});

describe('balancing weights', () => {
  // 6 rows × 2 tasks. Task 0: labels 1,0,0,0,missing,1 → 2 pos, 3 neg. Task 1: all 0 except one missing.
  const y = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  const labelled = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1]);

  it('deepchem2017: negatives 1, positives #neg/#pos over all rows; 1 for a task without positives', () => {
    const cw = fitClassWeights('deepchem2017', y, labelled, 2);
    expect(cw).toEqual([
      { negative: 1, positive: 3 / 2 },
      { negative: 1, positive: 1 },
    ]);
    expect(Array.from(applyClassWeights(y, labelled, cw))).toEqual([1.5, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1.5, 1]);
  });

  it('train-balanced: n/count_c over the given rows, 0 for an absent class', () => {
    // train = rows 0, 1, 2: task 0 has 1 pos, 2 neg (n = 3); task 1 has 3 neg, no pos.
    const cw = fitClassWeights('train-balanced', y, labelled, 2, [0, 1, 2]);
    expect(cw).toEqual([
      { negative: 3 / 2, positive: 3 },
      { negative: 1, positive: 0 },
    ]);
    expect(Array.from(applyClassWeights(y, labelled, cw))).toEqual([3, 1, 1.5, 1, 1.5, 1, 1.5, 1, 0, 0, 3, 1]);
  });
});
