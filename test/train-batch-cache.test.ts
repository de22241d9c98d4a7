// The training loop's per-step host work: in a fixed batch order (the book's) each batch is gathered, transposed and
// uploaded once and reused every epoch; shuffled batches are built per step; either way the losses are the same as
// building every batch anew, and the kept batches go back to the pool on dispose.
import { describe, expect, it } from 'vitest';
import { BitRows } from '../src/autograd/sparse-linear.ts';
import type { Backend } from '../src/backend/backend.ts';
import { selectRows } from '../src/data/sparse-bits.ts';
import { PopulationMlp } from '../src/nn/population-mlp.ts';
import { ModelOptimizer } from '../src/optim/model-optimizer.ts';
import { PopulationTrainer } from '../src/train/fit.ts';
import { randomBits } from './helpers/bits.ts';
import { gpu, rand } from './helpers/backends.ts';

const rows = 37, nBits = 40;
const bits = randomBits(rows, nBits, 0.1, 5);
const labels = rand(rows, 6).map((v) => (v > 0.3 ? 1 : 0));
const weights = rand(rows, 7, 0.5, 2);

function trainer(be: Backend, shuffle: boolean, built: { n: number }, cacheBatches = true) {
  const members = [{ seed: 1, width: 6, keep: 0.8 }, { seed: 2, width: 4, keep: 1 }];
  const net = new PopulationMlp(be, { inputs: nBits, outputs: 1, nLayers: 1, activation: 'relu', members });
  const opt = new ModelOptimizer(net.parameters(), 2, { lr: [0.01, 0.02] });
  const t = new PopulationTrainer(be, net, opt, {
    rows, outputs: 1, labels, weights,
    input: (idx) => {
      built.n++;
      return BitRows.from(be, selectRows(bits, idx));
    },
  }, { batchSize: 10, reduction: 'sum', shuffle, dataSeed: 3, epochs: [5, 5], cacheBatches });
  return { t, net, opt };
}

describe('batches across epochs', () => {
  it.each([false, true])('shuffle %s: fixed batches are built once, shuffled ones every step; the same losses either way', async (shuffle) => {
    const g = await gpu();
    // A first run leaves the backend's per-step tables (dropout keys, optimizer rates) cached; count from there.
    const warm = trainer(g, shuffle, { n: 0 });
    await warm.t.epoch();
    for (const x of [warm.t, warm.opt, warm.net]) x.dispose();
    const built = { n: 0 };
    const before = g.rt.pool.stats().liveBuffers;
    const { t, net, opt } = trainer(g, shuffle, built);
    await t.fit();
    // 37 rows in batches of 10: 4 batches an epoch, 5 epochs.
    expect(built.n).toBe(shuffle ? 20 : 4);
    // A trainer that builds every batch anew trains to the same losses.
    const fresh = { n: 0 };
    const ref = trainer(g, shuffle, fresh, false);
    await ref.t.fit();
    expect(fresh.n).toBe(20);
    expect(t.lossCurves).toEqual(ref.t.lossCurves);
    for (const x of [t, ref.t]) x.dispose();
    for (const x of [opt, ref.opt]) x.dispose();
    for (const x of [net, ref.net]) x.dispose();
    await g.rt.sync();
    // The kept batches went back with dispose.
    expect(g.rt.pool.stats().liveBuffers).toBe(before);
  });
});
