// Weight decay through the optimizers: SGD, Momentum and Adam (`weightDecay`) against a float64 reference, and
// ModelOptimizer's per-model λ — each model of a population steps as its own decayed Adam would, in the arena's one
// dispatch or one dispatch per tensor, and a refilled slot takes its new member's λ.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/autograd/tensor.ts';
import type { Backend } from '../src/backend/backend.ts';
import { ModelOptimizer } from '../src/optim/model-optimizer.ts';
import { Adam, Momentum, SGD, type Optimizer } from '../src/optim/optimizer.ts';
import { cpu, expectClose, gpu, rand } from './helpers/backends.ts';

const STEPS = 3;
const grads = (n: number, seed: number) => Array.from({ length: STEPS }, (_, k) => rand(n, seed * 10 + k));

/** Float64 reference of `steps` steps of one optimizer with decay λ on flat parameters. */
function reference(kind: 'sgd' | 'momentum' | 'adam', p0: ArrayLike<number>, gs: Float32Array[], lr: number, lambda: number): Float64Array {
  const p = Float64Array.from(p0), m = new Float64Array(p.length), v = new Float64Array(p.length);
  gs.forEach((g, step) => {
    const t = step + 1;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + lambda * p[i];
      if (kind === 'sgd') p[i] -= lr * gi;
      else if (kind === 'momentum') (m[i] = 0.9 * m[i] + gi), (p[i] -= lr * m[i]);
      else {
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        p[i] -= (lr * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
      }
    }
  });
  return p;
}

async function train(be: Backend, make: (ps: Tensor[]) => Optimizer, shapes: number[][], seed: number): Promise<Float32Array[]> {
  const ps = shapes.map((s, i) => Tensor.from(be, rand(s.reduce((a, b) => a * b, 1), seed + i), s, true));
  const opt = make(ps);
  const gs = ps.map((p, i) => grads(p.size, seed + 100 + i));
  for (let k = 0; k < STEPS; k++) {
    ps.forEach((p, i) => (p.grad = Tensor.from(be, gs[i][k], p.shape)));
    opt.step();
    opt.zeroGrad();
  }
  const out = (await be.readMany(ps.map((p) => p.storage))) as Float32Array[];
  opt.dispose();
  ps.forEach((p) => p.dispose());
  return out;
}

describe('SGD, Momentum and Adam with weightDecay', () => {
  const makers = {
    sgd: (ps: Tensor[], wd?: number) => new SGD(ps, 0.1, { weightDecay: wd }),
    momentum: (ps: Tensor[], wd?: number) => new Momentum(ps, 0.05, 0.9, { weightDecay: wd }),
    adam: (ps: Tensor[], wd?: number) => new Adam(ps, { lr: 0.01, weightDecay: wd }),
  };
  const lrs = { sgd: 0.1, momentum: 0.05, adam: 0.01 };
  // A bias of 1, an odd vector and a vec4-aligned matrix.
  const shapes = [[1], [7], [16, 8]];
  it.each(Object.keys(makers) as (keyof typeof makers)[])('%s: GPU and CPU equal the float64 reference; weightDecay 0 is no decay', async (kind) => {
    for (const be of [await gpu(), cpu] as Backend[]) {
      const got = await train(be, (ps) => makers[kind](ps, 0.4), shapes, 3);
      shapes.forEach((s, i) => {
        const want = reference(kind, rand(s.reduce((a, b) => a * b, 1), 3 + i), grads(got[i].length, 103 + i), lrs[kind], 0.4);
        expectClose(got[i], want, { atol: 2e-6, rtol: 2e-5 }, `${be.kind} ${kind} tensor ${i}`);
      });
      const none = await train(be, (ps) => makers[kind](ps), shapes, 3);
      const zero = await train(be, (ps) => makers[kind](ps, 0), shapes, 3);
      zero.forEach((z, i) => expect(Array.from(z)).toEqual(Array.from(none[i])));
      expect(Array.from(none[2])).not.toEqual(Array.from(got[2]));
    }
  });

  it('rejects a negative or non-finite weightDecay', () => {
    const p = Tensor.from(cpu, [1], [1], true);
    expect(() => new Adam([p], { weightDecay: -0.1 })).toThrow('weightDecay must be a finite number ≥ 0, got -0.1');
    expect(() => new SGD([p], 0.1, { weightDecay: Number.POSITIVE_INFINITY })).toThrow('weightDecay must be a finite number ≥ 0');
  });
});

describe('ModelOptimizer with a weight decay per model', () => {
  const models = 3, lambdas = [0, 0.3, 0.05], lrs = [0.01, 0.02, 0.005];
  // Per model: W [5, 4] and b [1, 4]-like slices of 20 and 3 (a slice that is not whole vec4s).
  const per = [20, 3];

  /** Model-axis parameters [models, per], in one arena (the one-dispatch step) or as separate tensors. */
  async function population(be: Backend, arena: boolean, resetTo?: { m: number; lr: number; lambda: number }): Promise<Float32Array[]> {
    const lengths = per.map((n) => n * models);
    const init = lengths.map((n, i) => rand(n, 50 + i));
    let ps: Tensor[];
    if (arena) {
      const a = be.arena(lengths);
      ps = a.views.map((v, i) => (be.write(v, 0, init[i]), new Tensor(be, v, [models, 1, per[i]], true)));
    } else ps = init.map((x, i) => Tensor.from(be, x, [models, 1, per[i]], true));
    const opt = new ModelOptimizer(ps, models, { lr: lrs, weightDecay: lambdas });
    if (resetTo) opt.reset(resetTo.m, resetTo.lr, resetTo.lambda);
    const gs = lengths.map((n, i) => grads(n, 60 + i));
    for (let k = 0; k < STEPS; k++) {
      ps.forEach((p, i) => {
        if (p.gradTarget) {
          be.write(p.gradTarget, 0, gs[i][k]);
          p.grad = new Tensor(be, p.gradTarget, p.shape);
        } else p.grad = Tensor.from(be, gs[i][k], p.shape);
      });
      opt.step();
      for (const p of ps) p.grad = null; // the arena's gradients belong to the optimizer
    }
    return (await be.readMany(ps.map((p) => p.storage))) as Float32Array[];
  }

  it.each([true, false])('arena %s: model m steps as Adam with λ[m] alone, on the GPU and the CPU', async (arena) => {
    for (const be of [await gpu(), cpu] as Backend[]) {
      const got = await population(be, arena);
      per.forEach((n, i) => {
        for (let m = 0; m < models; m++) {
          const init = rand(n * models, 50 + i).subarray(m * n, (m + 1) * n);
          const g = grads(n * models, 60 + i).map((x) => x.subarray(m * n, (m + 1) * n));
          expectClose(got[i].subarray(m * n, (m + 1) * n), reference('adam', init, g, lrs[m], lambdas[m]), { atol: 2e-6, rtol: 2e-5 }, `${be.kind} arena ${arena} tensor ${i} model ${m}`);
        }
      });
    }
  });

  it("a reset slot takes its new member's λ; bad λs are named", async () => {
    const be = await gpu();
    const got = await population(be, true, { m: 0, lr: 0.02, lambda: 0.7 });
    const init = rand(per[0] * models, 50).subarray(0, per[0]);
    const g = grads(per[0] * models, 60).map((x) => x.subarray(0, per[0]));
    expectClose(got[0].subarray(0, per[0]), reference('adam', init, g, 0.02, 0.7), { atol: 2e-6, rtol: 2e-5 }, 'reset slot');
    const p = Tensor.from(cpu, new Float32Array(6), [2, 1, 3], true);
    expect(() => new ModelOptimizer([p], 2, { lr: [1, 1], weightDecay: [0.1] })).toThrow('1 weight decays for 2 models');
    expect(() => new ModelOptimizer([p], 2, { lr: [1, 1], weightDecay: [0.1, -2] })).toThrow('weight decay of model 1 must be a finite number ≥ 0, got -2');
    expect(() => new ModelOptimizer([p], 2, { lr: [1, 1] }).reset(1, 0.1, Number.NaN)).toThrow('weight decay of model 1');
  });
});
