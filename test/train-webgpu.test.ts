// Training on the WebGPU backend: tests that fail if gradients, optimizers or dropout are wrong, memory that stays
// flat over 1,000 steps, and bit-identical weights for the same seed.
import { describe, expect, it } from 'vitest';
import { sigmoidCrossEntropy } from '../src/autograd/ops.ts';
import { tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import type { Backend } from '../src/backend/backend.ts';
import { Mlp } from '../src/nn/mlp.ts';
import { Adam, Momentum, SGD, type Optimizer } from '../src/optim/optimizer.ts';
import { Rng } from '../src/random/rng.ts';
import { predictLogits } from '../src/train/predict.ts';
import { gpu } from './helpers/backends.ts';

function stepFn(net: Mlp, opt: Optimizer, X: Tensor, y: Tensor, w: Tensor, reduction: 'sum' | 'mean' = 'mean') {
  return () => tidy(() => {
    opt.zeroGrad();
    const loss = sigmoidCrossEntropy(net.forward(X), y, w, reduction);
    loss.backward();
    opt.step();
    return loss;
  });
}

async function lossOf(net: Mlp, X: Tensor, y: Tensor, w: Tensor): Promise<number> {
  net.eval();
  const l = tidy(() => sigmoidCrossEntropy(net.forward(X), y, w, 'mean'));
  const v = (await l.data())[0];
  l.dispose();
  net.train();
  return v;
}

function separable(n: number, d: number, seed: number) {
  const rng = new Rng(seed);
  const truth = Array.from({ length: d }, () => rng.normal());
  const X = new Float32Array(n * d), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (X[i * d + j] = rng.normal()) * truth[j];
    if (Math.abs(s) < 0.1) s += Math.sign(s || 1) * 0.1; // a margin, so 100 % is reachable
    y[i] = s > 0 ? 1 : 0;
  }
  return { X, y };
}

function data(be: Backend, X: Float32Array, y: Float32Array, d: number) {
  const n = y.length;
  return [Tensor.from(be, X, [n, d]), Tensor.from(be, y, [n, 1]), Tensor.from(be, new Float32Array(n).fill(1), [n, 1])];
}

describe('training on WebGPU', () => {
  it('an MLP learns XOR to 100 % accuracy', async () => {
    const be = await gpu();
    const [X, y, w] = data(be, Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), Float32Array.of(0, 1, 1, 0), 2);
    const net = new Mlp(be, { inputs: 2, nHidden: 8, nLayers: 1, outputs: 1, activation: 'tanh', seed: 3 }).train();
    const opt = new Adam(net.parameters(), { lr: 0.05 });
    const step = stepFn(net, opt, X, y, w);
    for (let i = 0; i < 400; i++) step().dispose();
    const logits = await predictLogits(be, net, 4, 2, () => Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1));
    expect(Array.from(logits, (v) => (v > 0 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    net.dispose();
    opt.dispose();
  });

  it('logistic regression on a separable set reaches ≥ 99 %', async () => {
    const be = await gpu();
    const d = 10, n = 400;
    const { X: xs, y: ys } = separable(n, d, 5);
    const [X, y, w] = data(be, xs, ys, d);
    const net = new Mlp(be, { inputs: d, nHidden: 0, nLayers: 0, outputs: 1, init: 'zeros', seed: 0 }).train();
    const opt = new Adam(net.parameters(), { lr: 0.1 });
    const step = stepFn(net, opt, X, y, w);
    for (let i = 0; i < 300; i++) step().dispose();
    const logits = await predictLogits(be, net, n, d, (idx) => xs.subarray(idx[0] * d, (idx[idx.length - 1] + 1) * d), 128);
    const acc = ys.reduce((s, t, i) => s + ((logits[i] > 0 ? 1 : 0) === t ? 1 : 0), 0) / n;
    expect(acc).toBeGreaterThanOrEqual(0.99);
    net.dispose();
    opt.dispose();
  });

  it.each([
    ['Adam', (p: Tensor[]) => new Adam(p, { lr: 0.01 })],
    ['SGD', (p: Tensor[]) => new SGD(p, 0.5)],
    ['momentum', (p: Tensor[]) => new Momentum(p, 0.1, 0.9)],
  ] as const)('%s reduces the loss of a fixed problem by ≥ 10×', async (_name, make) => {
    const be = await gpu();
    const d = 6, n = 200;
    const { X: xs, y: ys } = separable(n, d, 11);
    const [X, y, w] = data(be, xs, ys, d);
    const net = new Mlp(be, { inputs: d, nHidden: 16, nLayers: 1, outputs: 1, activation: 'relu', init: 'he', seed: 1 }).train();
    const opt = make(net.parameters());
    const before = await lossOf(net, X, y, w);
    const step = stepFn(net, opt, X, y, w);
    for (let i = 0; i < 300; i++) step().dispose();
    const after = await lossOf(net, X, y, w);
    expect(before / after).toBeGreaterThanOrEqual(10);
    net.dispose();
    opt.dispose();
  });

  it('after 1,000 steps the pool holds as many live buffers and bytes as after step 10', async () => {
    const be = await gpu();
    const d = 32, n = 50;
    const { X: xs, y: ys } = separable(n, d, 2);
    const [X, y, w] = data(be, xs, ys, d);
    const net = new Mlp(be, { inputs: d, nHidden: 20, nLayers: 2, outputs: 1, keepProb: 0.5, seed: 4 }).train();
    const opt = new Adam(net.parameters(), { lr: 0.001 });
    const step = stepFn(net, opt, X, y, w, 'sum');
    const snapshot = () => {
      be.flush();
      const s = be.rt.pool.stats();
      return { liveBuffers: s.liveBuffers, liveBytes: s.liveBytes };
    };
    let at10 = snapshot();
    for (let i = 1; i <= 1000; i++) {
      step().dispose();
      if (i === 10) at10 = snapshot();
    }
    expect(snapshot()).toEqual(at10);
    await be.rt.sync();
    net.dispose();
    opt.dispose();
  });

  it('the same seed gives bit-identical weights after 100 steps, dropout included', async () => {
    const be = await gpu();
    const d = 24, n = 64;
    const { X: xs, y: ys } = separable(n, d, 8);
    const run = async (seed: number) => {
      const [X, y, w] = data(be, xs, ys, d);
      const net = new Mlp(be, { inputs: d, nHidden: 12, nLayers: 2, outputs: 1, keepProb: 0.5, init: 'normal', seed }).train();
      const opt = new Adam(net.parameters(), { lr: 0.01 });
      const step = stepFn(net, opt, X, y, w, 'sum');
      for (let i = 0; i < 100; i++) step().dispose();
      const ws = await be.readMany(net.parameters().map((p) => p.storage));
      net.dispose();
      opt.dispose();
      return ws.map((a) => Array.from(a));
    };
    const a = await run(7), b = await run(7), c = await run(8);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});
