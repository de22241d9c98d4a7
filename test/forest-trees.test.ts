/** Small problems whose right answer is known: the splits a tree must find and the leaf fractions it must report. */
import { describe, expect, it } from 'vitest';
import { toDense, type SparseBits } from '../src/data/sparse-bits.ts';
import { RandomForest } from '../src/forest/forest.ts';
import { Rng } from '../src/random/rng.ts';
import { trainingSet } from '../src/forest/training-set.ts';

/** SparseBits from rows of 0/1. */
function bits(rows: number[][]): SparseBits {
  const offsets = new Uint32Array(rows.length + 1);
  const indices: number[] = [];
  rows.forEach((row, r) => {
    row.forEach((v, b) => v && indices.push(b));
    offsets[r + 1] = indices.length;
  });
  return { nBits: rows[0].length, offsets, indices: Uint16Array.from(indices) };
}

/** One deterministic tree over every row and every feature: the plain CART tree. */
const single = { nEstimators: 1, bootstrap: false, maxFeatures: 1 as number };

describe('forest on known problems', () => {
  it('splits once on the one feature that separates the classes', () => {
    const rows = Array.from({ length: 16 }, (_, r) => [r & 1, (r >> 1) & 1, (r >> 2) & 1, (r >> 3) & 1]);
    const y = rows.map((row) => row[2]);
    const forest = RandomForest.fit(bits(rows), y, { ...single, maxFeatures: 4 });
    const { feature, value } = forest.trees[0].nodes;
    expect([...feature]).toEqual([2, -1, -1]);
    expect([...value]).toEqual([0.5, 0, 1]); // root, left (bit not set), right (bit set)
    expect([...forest.predict(bits(rows))]).toEqual(y);
  });

  it('needs depth 2 for the XOR of two bits, and keeps drawing past a constant feature', () => {
    // Bit 2 is never set: with one feature per node the draw must go on until it finds a bit that splits.
    const rows = Array.from({ length: 12 }, (_, r) => [r & 1, (r >> 1) & 1, 0]);
    const y = rows.map((row) => row[0] ^ row[1]);
    const shallow = RandomForest.fit(bits(rows), y, { ...single, maxDepth: 1 });
    expect([...shallow.predictProba(bits(rows))]).toEqual(rows.map(() => 0.5));
    for (let seed = 0; seed < 10; seed++) {
      const deep = RandomForest.fit(bits(rows), y, { ...single, maxDepth: 2, seed });
      expect([...deep.predict(bits(rows))]).toEqual(y);
      expect([...deep.trees[0].nodes.feature]).toEqual(expect.arrayContaining([0, 1, -1]));
      expect(deep.trees[0].nodeCount).toBe(7);
    }
  });

  it("flips a leaf's majority with classWeight 'balanced' (n / (2·count) per class)", () => {
    // Rows with bit 0 set are identical (2 positive, 3 negative), so they end in one leaf; 20 negatives without it.
    const rows = [...Array.from({ length: 5 }, () => [1, 1]), ...Array.from({ length: 20 }, () => [0, 1])];
    const y = [1, 1, 0, 0, 0, ...Array<number>(20).fill(0)];
    const plain = RandomForest.fit(bits(rows), y, single);
    expect(plain.predictProba(bits([[1, 1]]))[0]).toBeCloseTo(2 / 5, 12);
    expect(plain.predict(bits([[1, 1]]))[0]).toBe(0);
    const [w0, w1] = trainingSet(bits(rows), y, 'balanced').classWeight;
    expect(w0).toBeCloseTo(25 / (2 * 23), 12);
    expect(w1).toBeCloseTo(25 / (2 * 2), 12);
    const balanced = RandomForest.fit(bits(rows), y, { ...single, classWeight: 'balanced' });
    expect(balanced.predictProba(bits([[1, 1]]))[0]).toBeCloseTo((2 * w1) / (2 * w1 + 3 * w0), 12);
    expect(balanced.predict(bits([[1, 1]]))[0]).toBe(1);
  });

  it('splits dense features at the midpoint between classes', () => {
    const x = Float32Array.from([0.5, 1, 2, 3, 3.5, 4, 1.5, 5]);
    const y = Array.from(x, (v) => (v > 2 ? 1 : 0));
    const forest = RandomForest.fit({ rows: 8, cols: 1, values: x }, y, single);
    expect(forest.trees[0].nodes.threshold[0]).toBe(2.5);
    const probe = { rows: 4, cols: 1, values: Float32Array.from([2.4, 2.5, 2.6, 100]) };
    expect([...forest.predict(probe)]).toEqual([0, 0, 1, 1]);
  });

  it('min samples per leaf and per split stop growth', () => {
    const rows = Array.from({ length: 12 }, (_, r) => [r & 1, (r >> 1) & 1]);
    const y = rows.map((row) => row[0] ^ row[1]);
    // Each XOR cell holds 3 rows: a 4-row leaf minimum allows the first split (6 | 6) but not the second.
    expect(RandomForest.fit(bits(rows), y, { ...single, minSamplesLeaf: 4 }).trees[0].nodeCount).toBe(3);
    expect(RandomForest.fit(bits(rows), y, { ...single, minSamplesSplit: 7 }).trees[0].nodeCount).toBe(3);
    expect(RandomForest.fit(bits(rows), y, { ...single, minSamplesSplit: 13 }).trees[0].nodeCount).toBe(1);
  });

  it('grows the same trees from bits as from the same 0/1 values in a dense matrix', () => {
    // Integer weights (no class weights) keep every sum exact, so both paths make identical choices.
    const rng = new Rng(7);
    const rows = Array.from({ length: 300 }, () => Array.from({ length: 40 }, () => (rng.float() < 0.2 ? 1 : 0)));
    const y = rows.map((row) => (row[3] + row[5] + row[11] + (rng.float() < 0.2 ? 1 : 0) >= 2 ? 1 : 0));
    const sparse = bits(rows);
    const dense = { rows: rows.length, cols: 40, values: toDense(sparse) };
    const options = { nEstimators: 8, seed: 3, maxFeatures: 'sqrt' as const };
    const a = RandomForest.fit(sparse, y, options);
    const b = RandomForest.fit(dense, y, options);
    expect(b.toJSON().trees).toEqual(a.toJSON().trees);
    expect(b.predictProba(dense)).toEqual(a.predictProba(sparse));
    expect(a.predictProba(dense)).toEqual(a.predictProba(sparse));
  });

  it('averages the trees: probabilities lie in [0, 1] and training rows are mostly recovered', () => {
    const rng = new Rng(11);
    const rows = Array.from({ length: 400 }, () => Array.from({ length: 64 }, () => (rng.float() < 0.1 ? 1 : 0)));
    const y = rows.map((row) => row[0] | row[1]);
    const forest = RandomForest.fit(bits(rows), y, { nEstimators: 20, seed: 1, classWeight: 'balanced' });
    const p = forest.predictProba(bits(rows));
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    const correct = y.filter((v, i) => (p[i] > 0.5 ? 1 : 0) === v).length;
    expect(correct / y.length).toBeGreaterThan(0.97);
  });
});
