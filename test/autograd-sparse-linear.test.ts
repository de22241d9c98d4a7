// sparseLinear (src/autograd/sparse-linear.ts): finite-difference gradients in float64 on the CPU backend, the same
// values and gradients as `linear` on the dense 0/1 matrix, and the WebGPU backend's gradients against the CPU's.
import { describe, expect, it } from 'vitest';
import type { Activation, Backend, ModelKeys } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import * as op from '../src/autograd/ops.ts';
import { tidy } from '../src/autograd/scope.ts';
import { BitRows, sparseLinear } from '../src/autograd/sparse-linear.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { toDense, type SparseBits } from '../src/data/sparse-bits.ts';
import { randomBits } from './helpers/bits.ts';
import { cpu, expectClose, gpu, rand } from './helpers/backends.ts';

interface Case {
  name: string;
  bits: SparseBits;
  wShape: number[];
  bShape: number[] | null;
  activation: Activation;
  /** Per-model dropout after the activation (the layer op's own). */
  dropout?: { keys: ModelKeys; stream: number };
}

const keys = (models: number, cols: number): ModelKeys => ({
  keep: [0.5, 1, 0.7].slice(0, models), seed: [5, 6, 7].slice(0, models), step: [1, 2, 3].slice(0, models),
  width: [cols, cols - 1, cols].slice(0, models),
});

// Row 0 has no bits, row 1 bits 0 and 11 (the extremes), the rest ~30 %.
const bits = randomBits(5, 12, 0.3, 21, { 0: [], 1: [0, 11] });
const cases: Case[] = [
  ...(['none', 'relu', 'sigmoid', 'tanh'] as Activation[]).map((activation) => ({ name: `bias + ${activation}`, bits, wShape: [12, 3], bShape: [3], activation })),
  { name: 'no bias', bits, wShape: [12, 4], bShape: null, activation: 'tanh' },
  { name: 'one row', bits: randomBits(1, 6, 0.5, 22), wShape: [6, 2], bShape: [2], activation: 'sigmoid' },
  { name: '3 models, per-model bias', bits, wShape: [3, 12, 2], bShape: [3, 1, 2], activation: 'tanh' },
  { name: '2 models, shared bias', bits, wShape: [2, 12, 3], bShape: [3], activation: 'relu' },
  { name: 'one model, relu + dropout (the book step)', bits, wShape: [1, 12, 3], bShape: [1, 1, 3], activation: 'relu', dropout: { keys: keys(1, 3), stream: 0 } },
  { name: '3 models, relu + dropout, one padded', bits, wShape: [3, 12, 4], bShape: [3, 1, 4], activation: 'relu', dropout: { keys: keys(3, 4), stream: 1 } },
  { name: '3 models, tanh + dropout', bits, wShape: [3, 12, 4], bShape: [3, 1, 4], activation: 'tanh', dropout: { keys: keys(3, 4), stream: 2 } },
  { name: '2 models, no activation + dropout, shared bias', bits, wShape: [2, 12, 3], bShape: [3], activation: 'none', dropout: { keys: keys(2, 3), stream: 0 } },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Σ y ⊙ R for a fixed random R, so every output's gradient path is exercised. */
function loss(be: Backend, c: Case, x: BitRows, w: Tensor, b: Tensor | null): Tensor {
  const y = sparseLinear(x, w, b, { activation: c.activation, dropout: c.dropout });
  return op.sum(op.mul(y, Tensor.from(be, rand(y.size, 99), y.shape)));
}

async function gradients(be: Backend, c: Case, wv: ArrayLike<number>, bv: ArrayLike<number> | null) {
  const w = Tensor.from(be, wv, c.wShape, true);
  const b = bv && c.bShape ? Tensor.from(be, bv, c.bShape, true) : null;
  tidy(() => loss(be, c, BitRows.from(be, c.bits), w, b).backward());
  const out = await be.readMany([w.grad!.storage, ...(b ? [b.grad!.storage] : [])]);
  for (const t of b ? [w, b] : [w]) {
    t.grad!.dispose();
    t.dispose();
  }
  return out;
}

describe('sparseLinear: finite differences (float64, CPU)', () => {
  const f64 = new CpuBackend('f64');
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const wv = Array.from(rand(size(c.wShape), 31));
    const bv = c.bShape ? Array.from(rand(size(c.bShape), 32)) : null;
    const [gw, gb] = await gradients(f64, c, wv, bv);
    const value = async (w: number[], b: number[] | null) => {
      const r = tidy(() => loss(f64, c, BitRows.from(f64, c.bits), Tensor.from(f64, w, c.wShape), b ? Tensor.from(f64, b, c.bShape!) : null));
      const v = (await r.data())[0];
      r.dispose();
      return v;
    };
    const numeric = async (which: 'w' | 'b') => {
      const base = which === 'w' ? wv : bv!;
      const out: number[] = [];
      for (let i = 0; i < base.length; i++) {
        const plus = base.slice(), minus = base.slice();
        plus[i] += 1e-6;
        minus[i] -= 1e-6;
        const [fp, fm] = which === 'w' ? [await value(plus, bv), await value(minus, bv)] : [await value(wv, plus), await value(wv, minus)];
        out.push((fp - fm) / 2e-6);
      }
      return out;
    };
    expectClose(gw, await numeric('w'), { atol: 1e-6, rtol: 1e-5 }, `${c.name}: dW`);
    if (bv) expectClose(gb, await numeric('b'), { atol: 1e-6, rtol: 1e-5 }, `${c.name}: db`);
  });

  it('matches linear on the dense 0/1 matrix, values and gradients', async () => {
    const f64 = new CpuBackend('f64');
    const c = cases[3];
    const wv = rand(size(c.wShape), 41), bv = rand(size(c.bShape!), 42);
    const run = async (dense: boolean) => {
      const w = Tensor.from(f64, wv, c.wShape, true), b = Tensor.from(f64, bv, c.bShape!, true);
      const y = tidy(() => {
        const out = dense
          ? op.linear(Tensor.from(f64, toDense(c.bits), [5, 12]), w, b, { activation: c.activation })
          : sparseLinear(BitRows.from(f64, c.bits), w, b, { activation: c.activation });
        op.sum(op.mul(out, Tensor.from(f64, rand(out.size, 99), out.shape))).backward();
        return out;
      });
      return f64.readMany([y.storage, w.grad!.storage, b.grad!.storage]);
    };
    const [s, d] = [await run(false), await run(true)];
    s.forEach((v, i) => expectClose(v, d[i], { atol: 1e-12, rtol: 1e-12 }, ['y', 'dW', 'db'][i]));
  });

  it('rejects mismatched shapes, naming them, and releases bit rows with tidy', () => {
    const f64 = new CpuBackend('f64');
    const x = BitRows.from(f64, bits);
    expect(() => sparseLinear(x, Tensor.from(f64, rand(10 * 3, 1), [10, 3]), null)).toThrow(/sparseLinear: bit rows \[5, 12\] · W \[10, 3\]: inner sizes 12 and 10 must match/);
    expect(() => sparseLinear(x, Tensor.from(f64, rand(12 * 3, 1), [12, 3]), Tensor.from(f64, [1, 2], [2]))).toThrow(/sparseLinear: bias \[2\] does not match \[3\]/);
    let inner: BitRows | null = null;
    tidy(() => {
      inner = BitRows.from(f64, bits);
    });
    expect(inner!.disposed).toBe(true);
    expect(() => sparseLinear(inner!, Tensor.from(f64, rand(12 * 3, 1), [12, 3]), null)).toThrow(/bit rows \[5, 12\] were disposed/);
  });
});

describe('sparseLinear: WebGPU gradients equal the CPU float32 ones', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const wv = rand(size(c.wShape), 51), bv = c.bShape ? rand(size(c.bShape), 52) : null;
    const g = await gpu();
    const [gg, cg] = [await gradients(g, c, wv, bv), await gradients(cpu, c, wv, bv)];
    gg.forEach((x, i) => expectClose(x, cg[i], { atol: 1e-5, rtol: 1e-4 }, `${c.name} grad ${i}`));
  });
});
