// shaders/optim.wgsl against its CPU twin: several steps of SGD, momentum and Adam on odd-sized parameter buffers.
import { describe, expect, it } from 'vitest';
import type { Backend, Storage } from '../src/backend/backend.ts';
import { cpu, expectClose, gpu, rand } from './helpers/backends.ts';

type Step = (be: Backend, p: Storage, g: Storage, m: Storage, v: Storage, t: number) => void;
const steps: Record<string, Step> = {
  sgd: (be, p, g) => be.sgd(p, g, 0.1),
  momentum: (be, p, g, m) => be.momentum(p, g, m, 0.05, 0.9),
  adam: (be, p, g, m, v, t) => be.adam(p, g, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, t }),
};

async function run(be: Backend, name: string, n: number): Promise<Float32Array[]> {
  const p = be.upload(rand(n, 1)), m = be.zeros(n), v = be.zeros(n);
  for (let t = 1; t <= 5; t++) {
    const g = be.upload(rand(n, 100 + t));
    steps[name](be, p, g, m, v, t);
    be.release(g);
  }
  return (await be.readMany([p, m, v])) as Float32Array[];
}

describe('optimizer steps', () => {
  it.each(Object.keys(steps).flatMap((s) => [1, 7, 1031, 70_001].map((n) => [s, n] as const)))('%s, %i parameters, 5 steps', async (name, n) => {
    const [gp, gm, gv] = await run(await gpu(), name, n);
    const [cp, cm, cv] = await run(cpu, name, n);
    expectClose(gp, cp, { atol: 1e-6, rtol: 1e-5 }, `${name} params`);
    expectClose(gm, cm, { atol: 1e-6, rtol: 1e-5 }, `${name} m`);
    expectClose(gv, cv, { atol: 1e-7, rtol: 1e-5 }, `${name} v`);
  });

  it('Adam first step moves every parameter by lr against the gradient sign (bias correction)', async () => {
    const g = await gpu();
    const p = g.upload([0, 0, 0]), grad = g.upload([0.5, -2, 1e-3]), m = g.zeros(3), v = g.zeros(3);
    g.adam(p, grad, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 1 });
    const out = await g.read(p);
    expectClose(out, [-0.01, 0.01, -0.01], { atol: 1e-6, rtol: 0 }, 'adam step 1');
  });

  it('length mismatches name the optimizer and the buffer', async () => {
    const p = cpu.upload([1, 2, 3]), g = cpu.upload([1, 2]);
    expect(() => cpu.sgd(p, g, 0.1)).toThrow('sgd: gradient has 2 elements, expected 3');
    const gg = await gpu();
    expect(() => gg.adam(gg.upload([1]), gg.upload([1]), gg.upload([1, 2]), gg.upload([1]), { lr: 1, beta1: 0.9, beta2: 0.9, eps: 1e-8, t: 1 })).toThrow('adam: m has 2 elements, expected 1');
  });
});
