/** A forest must not depend on how many threads grew it, and must survive JSON with identical predictions. */
import { describe, expect, it } from 'vitest';
import type { SparseBits } from '../src/data/sparse-bits.ts';
import { ForestPool } from '../src/forest/forest-pool.ts';
import { TreePool, fitForest } from '../src/forest/tree-pool.ts';
import { RandomForest, type ForestJSON } from '../src/forest/forest.ts';
import { Rng } from '../src/random/rng.ts';
import { spawnNodeWorker } from '../src/workers/node-transport.ts';
import { WorkerPool } from '../src/workers/pool.ts';

/** Random sparse rows (~5 % of 256 bits set) with labels from a noisy rule on a few bits, ~15 % positive. */
function problem(rows: number, seed: number): { x: SparseBits; y: Uint8Array } {
  const rng = new Rng(seed);
  const offsets = new Uint32Array(rows + 1);
  const indices: number[] = [];
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let b = 0; b < 256; b++) if (rng.float() < 0.05) row.push(b);
    indices.push(...row);
    offsets[r + 1] = indices.length;
    const has = (b: number) => row.includes(b);
    y[r] = (has(1) && has(2)) || has(7) || rng.float() < 0.05 ? 1 : 0;
  }
  return { x: { nBits: 256, offsets, indices: Uint16Array.from(indices) }, y };
}

describe('forest threads and serialisation', () => {
  const { x, y } = problem(1500, 5);
  const options = { nEstimators: 12, classWeight: 'balanced' as const, seed: 42 };

  it('gives identical probabilities on 1, 2 and 3 threads and in the calling thread', async () => {
    const one = (await fitForest(x, y, { ...options, threads: 1 })).predictProba(x);
    const two = (await fitForest(x, y, { ...options, threads: 2 })).predictProba(x);
    const three = (await fitForest(x, y, { ...options, threads: 3 })).predictProba(x);
    const inline = RandomForest.fit(x, y, options).predictProba(x);
    expect(two).toEqual(one);
    expect(three).toEqual(one);
    expect(inline).toEqual(one);
    const otherSeed = RandomForest.fit(x, y, { ...options, seed: 43 }).predictProba(x);
    expect(otherSeed).not.toEqual(one);
  });

  it('serves several fits from one pool, one at a time, workers included', async () => {
    const pool = new TreePool(3);
    try {
      const first = pool.fit(x, y, options);
      await expect(pool.fit(x, y, options)).rejects.toThrow('this pool is already fitting a forest');
      expect((await first).predictProba(x)).toEqual(RandomForest.fit(x, y, options).predictProba(x));
      // Each worker is queued two trees before the calling thread starts, so both workers took part.
      expect(pool.treesPerThread.length).toBe(3);
      expect(pool.treesPerThread.reduce((a, b) => a + b)).toBe(options.nEstimators);
      expect(Math.min(...pool.treesPerThread.slice(1))).toBeGreaterThanOrEqual(2);
      const other = { ...options, seed: 9, maxFeatures: 20 };
      expect((await pool.fit(x, y, other)).predictProba(x)).toEqual(RandomForest.fit(x, y, other).predictProba(x));
    } finally {
      await pool.close();
    }
    await expect(pool.fit(x, y, options)).rejects.toThrow('TreePool is closed');
  });

  it('grows the same forest on workers alone, as the browser’s pool does, reporting each tree', async () => {
    // WebTreePool's configuration (the calling thread grows nothing) on Node's transport, with the one tree-worker entry.
    const entry = new URL('../src/forest/tree-worker.ts', import.meta.url);
    const pool = new ForestPool(new WorkerPool({ workers: 2, entry, spawn: spawnNodeWorker, label: 'forest worker' }), false, 'ForestPool');
    const seen: number[] = [];
    pool.onTree = (done, total) => {
      expect(total).toBe(options.nEstimators);
      seen.push(done);
    };
    try {
      expect((await pool.fit(x, y, options)).predictProba(x)).toEqual(RandomForest.fit(x, y, options).predictProba(x));
    } finally {
      await pool.close();
    }
    expect(seen).toEqual(Array.from({ length: options.nEstimators }, (_, i) => i + 1));
  });

  it('round-trips through JSON text with identical trees and predictions', async () => {
    const forest = await fitForest(x, y, { ...options, threads: 2, maxDepth: 12, maxFeatures: 0.1 });
    const loaded = RandomForest.fromJSON(JSON.parse(JSON.stringify(forest)) as ForestJSON);
    expect(loaded.toJSON()).toEqual(forest.toJSON());
    expect(loaded.params).toEqual(forest.params);
    expect(loaded.predictProba(x)).toEqual(forest.predictProba(x));
  });

  it('rejects a damaged model, naming the field', () => {
    const json = RandomForest.fit(x, y, { nEstimators: 2 }).toJSON();
    const bad = (edit: (j: ForestJSON) => void) => {
      const copy = structuredClone(json);
      edit(copy);
      return () => RandomForest.fromJSON(copy);
    };
    expect(bad((j) => ((j as { format: string }).format = 'other'))).toThrow(/not a shadergrad\/random-forest v1 model/);
    expect(bad((j) => j.trees.pop())).toThrow('model has 1 trees, but nEstimators is 2');
    expect(bad((j) => (j.trees[1].feature[0] = 300))).toThrow('trees[1] node 0 splits on feature 300, outside [0, 256)');
    expect(bad((j) => (j.trees[0].left[0] = 0))).toThrow('trees[0] node 0 has child 0');
    expect(bad((j) => j.trees[0].value.pop())).toThrow(/trees\[0\]\.value has \d+ entries/);
    expect(bad((j) => (j.params.maxFeatures = 0))).toThrow(/maxFeatures must be/);
  });
});
