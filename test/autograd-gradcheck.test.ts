// Finite-difference gradient checks in float64 on the CPU backend for every differentiable op and loss, then the
// same analytic gradients from the WebGPU backend against the CPU's float32 ones.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import * as op from '../src/autograd/ops.ts';
import { tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { cpu, expectClose, gpu, rand } from './helpers/backends.ts';

type Fn = (xs: Tensor[], be: Backend) => Tensor;
interface Case {
  name: string;
  shapes: number[][];
  fn: Fn;
  /** Input ranges (domain restrictions such as log's x > 0). */
  range?: [number, number];
  /** Inputs that are data, not differentiated (labels, weights). */
  constants?: number[];
  /** Inputs built by hand (e.g. 0/1 labels). */
  data?: Record<number, number[]>;
}

const proj = (t: Tensor, be: Backend) => {
  // A fixed random projection to a scalar, so every output element's gradient path is exercised.
  const r = Tensor.from(be, rand(t.size, 999, -1, 1), t.shape);
  return op.sum(op.mul(t, r));
};

const cases: Case[] = [
  ...(['relu', 'sigmoid', 'tanh', 'exp', 'neg', 'abs', 'square'] as const).map((u) => ({ name: u, shapes: [[3, 5]], fn: ([x]: Tensor[]) => op.unary(u, x) })),
  { name: 'log', shapes: [[7]], fn: ([x]) => op.log(x), range: [0.2, 3] },
  { name: 'sqrt', shapes: [[7]], fn: ([x]) => op.sqrt(x), range: [0.2, 3] },
  { name: 'scale', shapes: [[2, 3]], fn: ([x]) => op.scale(x, -0.7) },
  { name: 'add (bias row broadcast)', shapes: [[4, 3], [3]], fn: ([a, b]) => op.add(a, b) },
  { name: 'add (same tensor twice)', shapes: [[5]], fn: ([a]) => op.add(a, a) },
  { name: 'sub (column broadcast)', shapes: [[4, 3], [4, 1]], fn: ([a, b]) => op.sub(a, b) },
  { name: 'mul (batch broadcast)', shapes: [[2, 3, 4], [3, 4]], fn: ([a, b]) => op.mul(a, b) },
  { name: 'div (scalar divisor)', shapes: [[3, 4], [1]], fn: ([a, b]) => op.div(a, b), range: [0.5, 2] },
  { name: 'div (elementwise)', shapes: [[6], [6]], fn: ([a, b]) => op.div(a, b), range: [0.5, 2] },
  { name: 'maximum', shapes: [[3, 4], [3, 4]], fn: ([a, b]) => op.maximum(a, b) },
  { name: 'sum all', shapes: [[3, 4]], fn: ([a]) => op.sum(a) },
  { name: 'sum axis 0', shapes: [[3, 4]], fn: ([a]) => op.sum(a, 0) },
  { name: 'mean axis -1 of rank 3', shapes: [[2, 3, 4]], fn: ([a]) => op.mean(a, -1) },
  { name: 'mean axis 1 of rank 3', shapes: [[2, 3, 4]], fn: ([a]) => op.mean(a, 1) },
  { name: 'reshape', shapes: [[2, 6]], fn: ([a]) => op.reshape(a, [3, 4]) },
  { name: 'matmul', shapes: [[3, 5], [5, 2]], fn: ([a, b]) => op.matmul(a, b) },
  { name: 'linear + bias', shapes: [[4, 5], [5, 3], [3]], fn: ([x, w, b]) => op.linear(x, w, b) },
  { name: 'linear + relu', shapes: [[4, 5], [5, 3], [3]], fn: ([x, w, b]) => op.linear(x, w, b, { activation: 'relu' }) },
  { name: 'linear + sigmoid', shapes: [[4, 5], [5, 3], [3]], fn: ([x, w, b]) => op.linear(x, w, b, { activation: 'sigmoid' }) },
  { name: 'linear + tanh', shapes: [[4, 5], [5, 3], [3]], fn: ([x, w, b]) => op.linear(x, w, b, { activation: 'tanh' }) },
  { name: 'linear, 3 models sharing x', shapes: [[4, 5], [3, 5, 2], [3, 1, 2]], fn: ([x, w, b]) => op.linear(x, w, b, { activation: 'tanh' }) },
  { name: 'linear, batched x and W', shapes: [[2, 4, 5], [2, 5, 3], [3]], fn: ([x, w, b]) => op.linear(x, w, b) },
  { name: 'linear, batched x, shared W', shapes: [[2, 4, 5], [5, 3], [2, 1, 3]], fn: ([x, w, b]) => op.linear(x, w, b) },
  { name: 'dropout keep 0.6', shapes: [[5, 7]], fn: ([x]) => op.dropout(x, 0.6, { seed: 3, step: 1, stream: 0 }) },
  {
    name: 'dropout per model (3 models, one padded)', shapes: [[3, 4, 5]],
    fn: ([x]) => op.dropoutModels(x, { keep: [0.6, 1, 0.3], seed: [3, 4, 5], step: [1, 0, 2], width: [5, 3, 5] }, 1),
  },
  ...(['relu', 'tanh', 'none'] as const).map((activation) => ({
    // x shared by 3 models (one padded, one without dropout); the layer op's dropout after the activation.
    name: `linear + ${activation} + dropout per model`, shapes: [[4, 5], [3, 5, 6], [3, 1, 6]],
    fn: ([x, w, b]: Tensor[]) => op.linear(x, w, b, { activation, dropout: { keys: { keep: [0.6, 1, 0.3], seed: [3, 4, 5], step: [1, 0, 2], width: [6, 4, 6] }, stream: 1 } }),
  })),
  {
    // One model: the loss is a scalar, so backward() seeds it with ones and the fused loss hands back its gradient.
    name: 'sigmoid cross-entropy per model, one model, sum (the fused gradient)', shapes: [[1, 4, 2], [4, 2], [4, 2]], constants: [1, 2], range: [-4, 4],
    data: { 1: [1, 0, 0, 1, 1, 1, 0, 0], 2: [2, 1, 0, 1, 3, 1, 1, 0.5] },
    fn: ([x, z, w]) => op.sigmoidCrossEntropyModels(x, z, w, 'sum'),
  },
  {
    name: 'sigmoid cross-entropy per model, one model, mean (the fused gradient)', shapes: [[1, 5, 1], [5, 1], [5, 1]], constants: [1, 2], range: [-4, 4],
    data: { 1: [1, 0, 0, 1, 1], 2: [2, 1, 0.5, 1, 3] },
    fn: ([x, z, w]) => op.sigmoidCrossEntropyModels(x, z, w, 'mean'),
  },
  {
    name: 'sigmoid cross-entropy per model, sum', shapes: [[3, 4, 2], [4, 2], [4, 2]], constants: [1, 2], range: [-4, 4],
    data: { 1: [1, 0, 0, 1, 1, 1, 0, 0], 2: [2, 1, 0, 1, 3, 1, 1, 0.5] },
    fn: ([x, z, w]) => op.sigmoidCrossEntropyModels(x, z, w, 'sum'),
  },
  {
    name: 'sigmoid cross-entropy per model, mean', shapes: [[2, 5, 1], [5, 1], [5, 1]], constants: [1, 2], range: [-4, 4],
    data: { 1: [1, 0, 0, 1, 1], 2: [2, 1, 0.5, 1, 3] },
    fn: ([x, z, w]) => op.sigmoidCrossEntropyModels(x, z, w, 'mean'),
  },
  {
    name: 'sigmoid cross-entropy, sum', shapes: [[6, 2], [6, 2], [6, 2]], constants: [1, 2], range: [-4, 4],
    data: { 1: [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0], 2: [2, 1, 0, 1, 3, 1, 1, 0.5, 1, 1, 2, 1] },
    fn: ([x, z, w]) => op.sigmoidCrossEntropy(x, z, w, 'sum'),
  },
  {
    name: 'sigmoid cross-entropy, mean', shapes: [[5], [5], [5]], constants: [1, 2], range: [-4, 4],
    data: { 1: [1, 0, 1, 0, 1], 2: [1, 1, 22.5, 1, 0] },
    fn: ([x, z, w]) => op.sigmoidCrossEntropy(x, z, w, 'mean'),
  },
  {
    name: 'binary cross-entropy on probabilities', shapes: [[6], [6]], constants: [1], range: [0.05, 0.95],
    data: { 1: [1, 0, 1, 1, 0, 0] },
    fn: ([p, z]) => op.binaryCrossEntropy(p, z),
  },
];

function inputs(c: Case): number[][] {
  return c.shapes.map((s, i) => c.data?.[i] ?? Array.from(rand(s.reduce((a, b) => a * b, 1), 17 + i, ...(c.range ?? [-1.5, 1.5]))));
}

/** f(x) as a number in float64, for finite differences. */
async function evalScalar(be: CpuBackend, c: Case, vals: number[][]): Promise<number> {
  const r = tidy(() => {
    const xs = vals.map((v, i) => Tensor.from(be, v, c.shapes[i]));
    const y = c.fn(xs, be);
    return y.size === 1 ? y : proj(y, be);
  });
  const v = (await r.data())[0];
  r.dispose();
  return v;
}

async function analytic(be: Backend, c: Case, vals: number[][]): Promise<(Float32Array | Float64Array)[]> {
  const xs = vals.map((v, i) => Tensor.from(be, v, c.shapes[i], !(c.constants ?? []).includes(i)));
  tidy(() => {
    const y = c.fn(xs, be);
    (y.size === 1 ? y : proj(y, be)).backward();
  });
  const grads = await be.readMany(xs.filter((x) => x.requiresGrad).map((x) => x.grad!.storage));
  xs.forEach((x) => { x.grad?.dispose(); x.dispose(); });
  return grads;
}

describe('finite-difference gradient checks (float64, CPU backend)', () => {
  const f64 = new CpuBackend('f64');
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const vals = inputs(c);
    const grads = await analytic(f64, c, vals);
    let gi = 0;
    for (let i = 0; i < vals.length; i++) {
      if ((c.constants ?? []).includes(i)) continue;
      const numeric = [];
      for (let j = 0; j < vals[i].length; j++) {
        const h = 1e-6 * Math.max(1, Math.abs(vals[i][j]));
        const plus = vals.map((v) => v.slice()), minus = vals.map((v) => v.slice());
        plus[i][j] += h;
        minus[i][j] -= h;
        numeric.push(((await evalScalar(f64, c, plus)) - (await evalScalar(f64, c, minus))) / (2 * h));
      }
      expectClose(grads[gi++], numeric, { atol: 1e-6, rtol: 1e-5 }, `${c.name}: d/dx${i}`);
    }
  });

  it('no tensor is left alive by a tidy step', () => {
    const before = f64.live;
    const x = Tensor.from(f64, [1, 2, 3], [3], true);
    tidy(() => op.sum(op.square(x)).backward());
    x.grad!.dispose();
    x.dispose();
    expect(f64.live).toBe(before);
  });
});

describe('the WebGPU backend gives the same gradients as the CPU (float32)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const vals = inputs(c);
    const g = await gpu();
    const [gg, cg] = [await analytic(g, c, vals), await analytic(cpu, c, vals)];
    gg.forEach((x, i) => expectClose(x, cg[i], { atol: 1e-5, rtol: 1e-4 }, `${c.name} grad ${i}`));
  });
});
