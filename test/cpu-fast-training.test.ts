// The float32 CPU path as a training backend: weight decay against a hand-written float64 reference (both
// precisions, sgd/momentum/adam); memory flat over 1,000 training steps (the buffer pool stops growing, live
// buffers return to their count); two runs with the same seeds give identical floats; and a short training run on
// the fast path stays close to the float64 oracle's.
import { describe, expect, it } from 'vitest';
import { BitRows } from '../src/autograd/sparse-linear.ts';
import type { ModelOptimSpec } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { selectRows } from '../src/data/sparse-bits.ts';
import { PopulationMlp } from '../src/nn/population-mlp.ts';
import { ModelOptimizer } from '../src/optim/model-optimizer.ts';
import { PopulationTrainer } from '../src/train/fit.ts';
import { expectClose, rand } from './helpers/backends.ts';
import { randomBits } from './helpers/bits.ts';

/** The step with L2 weight decay, written out in float64: g' = g + λ·p, then the plain update with g'. */
function reference(kind: ModelOptimSpec['kind'], p: number[], g: number[], m: number[], v: number[], lr: number, wd: number, t: number): void {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + wd * p[i];
    if (kind === 'sgd') p[i] -= lr * gi;
    else if (kind === 'momentum') {
      m[i] = b1 * m[i] + gi;
      p[i] -= lr * m[i];
    } else {
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
  }
}

describe('weight decay (ModelOptimSpec.weightDecay)', () => {
  it.each(['sgd', 'momentum', 'adam'] as const)('%s: both precisions follow the float64 reference, per model; λ = 0 is no decay', async (kind) => {
    const models = 3, per = 37;
    const lr = [0.1, 0.03, 0.01], wd = [0.5, 0, 0.05];
    const p0 = rand(models * per, 1, -2, 2), grads = [2, 3, 4].map((s) => rand(models * per, s));
    const want = Array.from({ length: models }, (_, k) => {
      const sl = (a: ArrayLike<number>) => Array.from(a).slice(k * per, (k + 1) * per);
      const p = sl(p0), m = new Array(per).fill(0), v = new Array(per).fill(0);
      grads.forEach((g, s) => reference(kind, p, sl(g), m, v, lr[k], wd[k], s + 1));
      return p;
    }).flat();
    for (const be of [new CpuBackend('f64'), new CpuBackend('f32')]) {
      const p = be.upload(p0), m = be.zeros(models * per), v = be.zeros(models * per);
      grads.forEach((gr, s) => {
        const g = be.upload(gr);
        be.optimModels(p, g, kind === 'sgd' ? null : m, kind === 'adam' ? v : null, { kind, models, lr, t: [s + 1, s + 1, s + 1], beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd });
        be.release(g);
      });
      const got = await be.read(p);
      expectClose(got, want, be.dtype === 'f64' ? { atol: 1e-14, rtol: 1e-12 } : { atol: 2e-6, rtol: 1e-5 }, `${kind} ${be.dtype}`);
    }
  });

  it('names a bad weight decay', () => {
    const be = new CpuBackend('f32');
    const p = be.upload([1, 2]), g = be.upload([1, 1]);
    const spec: ModelOptimSpec = { kind: 'sgd', models: 2, lr: [1, 1], t: [1, 1], beta1: 0, beta2: 0, eps: 0 };
    expect(() => be.optimModels(p, g, null, null, { ...spec, weightDecay: [0.1] })).toThrow(/1 weight decays for 2 models/);
    expect(() => be.optimModels(p, g, null, null, { ...spec, weightDecay: [0.1, -1] })).toThrow(/weight decay of model 1 must be a finite number ≥ 0, got -1/);
  });
});

/** A small sparse network trainer (3 models, padded widths, dropout) on seeded bit rows. */
function trainer(be: CpuBackend, shuffle: boolean) {
  const rows = 120, bits = randomBits(rows, 64, 0.1, 4, { 0: [] });
  const labels = rand(rows * 2, 5).map((x) => (x > 0.6 ? 1 : 0)), weights = rand(rows * 2, 6, 0.5, 2);
  const net = new PopulationMlp(be, { inputs: 64, outputs: 2, nLayers: 1, activation: 'relu', members: [{ seed: 1, width: 7, keep: 0.5 }, { seed: 2, width: 5, keep: 0.8 }, { seed: 3, width: 7, keep: 1 }] });
  const opt = new ModelOptimizer(net.parameters(), 3, { kind: 'adam', lr: [0.01, 0.003, 0.02] });
  const t = new PopulationTrainer(be, net, opt, { rows, outputs: 2, labels, weights, input: (idx) => BitRows.from(be, selectRows(bits, idx)) },
    { batchSize: 12, reduction: 'sum', shuffle, dataSeed: 3, epochs: [1e6, 1e6, 1e6] });
  return { net, opt, t };
}

describe('training on the float32 CPU path', () => {
  it('memory is flat over 1,000 steps: the pool stops creating buffers and live buffers return to their count', async () => {
    const be = new CpuBackend('f32');
    const { t } = trainer(be, true);
    await t.epoch();
    const before = be.poolStats();
    for (let e = 0; e < 100; e++) await t.epoch(); // 10 steps each
    const after = be.poolStats();
    expect(after.created).toBe(before.created);
    expect(after.live).toBe(before.live);
    expect(after.idleBuffers).toBe(before.idleBuffers);
  });

  it('two runs with the same seeds give identical floats', async () => {
    const run = async () => {
      const be = new CpuBackend('f32');
      const { net, t } = trainer(be, true);
      for (let e = 0; e < 5; e++) await t.epoch();
      return { w: await be.readMany(net.parameters().map((p) => p.storage)), loss: t.lossCurves };
    };
    const [a, b] = [await run(), await run()];
    expect(b.loss).toEqual(a.loss);
    a.w.forEach((w, i) => expect(Array.from(b.w[i])).toEqual(Array.from(w)));
  });

  it('stays close to the float64 oracle over 3 epochs', async () => {
    const curves = [];
    for (const dtype of ['f32', 'f64'] as const) {
      const { t } = trainer(new CpuBackend(dtype), false);
      for (let e = 0; e < 3; e++) await t.epoch();
      curves.push(t.lossCurves.flat());
    }
    expectClose(curves[0], curves[1], { atol: 1e-5, rtol: 1e-4 }, 'loss curves');
  });
});
