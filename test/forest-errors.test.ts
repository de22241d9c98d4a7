/** Bad input fails before any tree is grown, with an error naming the parameter and the value it got. */
import { describe, expect, it } from 'vitest';
import type { SparseBits } from '../src/data/sparse-bits.ts';
import { fitForest } from '../src/forest/tree-pool.ts';
import { RandomForest } from '../src/forest/forest.ts';

const x: SparseBits = { nBits: 16, offsets: Uint32Array.from([0, 1, 2, 2, 3]), indices: Uint16Array.from([0, 3, 15]) };
const y = [0, 1, 0, 1];

describe('forest input checks', () => {
  it('rejects labels and rows that do not match', () => {
    expect(() => RandomForest.fit(x, [0, 1, 0])).toThrow('y has 3 labels but X has 4 rows');
    expect(() => RandomForest.fit(x, [0, 1, 2, 1])).toThrow('y must hold 0/1 labels, got y[2] = 2');
    expect(() => RandomForest.fit(x, [0, 0.5, 0, 1])).toThrow('y must hold 0/1 labels, got y[1] = 0.5');
    expect(() => RandomForest.fit(x, [0, NaN, 0, 1])).toThrow('y must hold 0/1 labels, got y[1] = NaN');
    const empty: SparseBits = { nBits: 16, offsets: Uint32Array.from([0]), indices: new Uint16Array(0) };
    expect(() => RandomForest.fit(empty, [])).toThrow('cannot fit on an empty training set (X has 0 rows)');
  });

  it('rejects malformed feature matrices', () => {
    expect(() => RandomForest.fit({ ...x, indices: Uint16Array.from([0, 3, 16]) }, y)).toThrow('SparseBits row 3 sets bit 16, but nBits is 16');
    expect(() => RandomForest.fit({ ...x, offsets: Uint32Array.from([0, 1, 2, 2, 2]) }, y)).toThrow(/SparseBits.offsets must run from 0 to indices.length \(3\)/);
    expect(() => RandomForest.fit({ rows: 4, cols: 2, values: new Float32Array(7) }, y)).toThrow('DenseMatrix.values has 7 entries, expected rows·cols = 4·2 = 8');
    const nan = Float32Array.from([0, 1, NaN, 0]);
    expect(() => RandomForest.fit({ rows: 4, cols: 1, values: nan }, y)).toThrow('DenseMatrix value at row 2, column 0 is NaN; features must be finite');
  });

  it('rejects hyperparameters out of range', async () => {
    const range = "'sqrt', 'log2', an integer in [1, 16] or a fraction in (0, 1)";
    expect(() => RandomForest.fit(x, y, { maxFeatures: 0 })).toThrow(`maxFeatures must be ${range}, got 0 with 16 features`);
    expect(() => RandomForest.fit(x, y, { maxFeatures: 17 })).toThrow(`maxFeatures must be ${range}, got 17 with 16 features`);
    expect(() => RandomForest.fit(x, y, { maxFeatures: 1.5 })).toThrow(`maxFeatures must be ${range}, got 1.5`);
    expect(() => RandomForest.fit(x, y, { maxFeatures: -0.2 })).toThrow(`maxFeatures must be ${range}, got -0.2`);
    expect(() => RandomForest.fit(x, y, { maxFeatures: 'cbrt' as 'sqrt' })).toThrow(`maxFeatures must be ${range}, got "cbrt"`);
    expect(() => RandomForest.fit(x, y, { nEstimators: 0 })).toThrow('nEstimators must be an integer ≥ 1, got 0');
    expect(() => RandomForest.fit(x, y, { maxDepth: -1 })).toThrow('maxDepth must be an integer ≥ 0, got -1');
    expect(() => RandomForest.fit(x, y, { minSamplesSplit: 1 })).toThrow('minSamplesSplit must be an integer ≥ 2, got 1');
    expect(() => RandomForest.fit(x, y, { minSamplesLeaf: 0.5 })).toThrow('minSamplesLeaf must be an integer ≥ 1, got 0.5');
    expect(() => RandomForest.fit(x, y, { seed: -1 })).toThrow('seed must be an integer in [0, 2^32), got -1');
    expect(() => RandomForest.fit(x, y, { classWeight: 'auto' as 'balanced' })).toThrow(`classWeight must be 'balanced' or null, got "auto"`);
    await expect(fitForest(x, y, { threads: 0 })).rejects.toThrow('threads must be an integer ≥ 1, got 0');
  });

  it('resolves maxFeatures like sklearn', () => {
    const count = (maxFeatures: 'sqrt' | 'log2' | number) => RandomForest.fit(x, y, { nEstimators: 1, maxFeatures }).params.featuresPerNode;
    expect([count('sqrt'), count('log2'), count(5), count(0.5), count(0.01), count(16)]).toEqual([4, 4, 5, 8, 1, 16]);
  });

  it('rejects predicting on a different number of features', () => {
    const forest = RandomForest.fit(x, y, { nEstimators: 1 });
    expect(() => forest.predict({ rows: 1, cols: 8, values: new Float32Array(8) })).toThrow('X has 8 features but the forest was fitted on 16');
  });
});
