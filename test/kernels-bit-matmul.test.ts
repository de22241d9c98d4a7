// shaders/bit-matmul.wgsl (the sparse first layer) against its CPU twin: sums of rows of W at set bits with bias and
// activation, the transposed product (weight gradient), several models sharing X, awkward rows (no bits, one row,
// bits 0 and nBits − 1), outputs not a multiple of 4, determinism, and errors that name the op and shapes.
import { describe, expect, it } from 'vitest';
import type { Activation, Backend, BitMatmulSpec } from '../src/backend/backend.ts';
import type { SparseBits } from '../src/data/sparse-bits.ts';
import { toDense } from '../src/data/sparse-bits.ts';
import { randomBits } from './helpers/bits.ts';
import { cpu, expectClose, gpu, rand } from './helpers/backends.ts';

const TOL = { atol: 1e-5, rtol: 1e-5 };

function upload(be: Backend, bits: SparseBits) {
  return be.uploadBitMatrix(bits.offsets, Uint32Array.from(bits.indices), bits.nBits);
}

/** Runs bitMatmul (or, with dz, its transpose) on both backends and compares. */
async function twinBits(bits: SparseBits, spec: Omit<BitMatmulSpec, 'bias'> & { withBias?: boolean }, transposed = false) {
  const g = await gpu();
  const { models, n } = spec;
  const w = rand(models * bits.nBits * n, 3);
  const dz = rand(models * (bits.offsets.length - 1) * n, 4);
  const bias = rand((spec.batchBias ? models : 1) * n, 5);
  const outs: ArrayLike<number>[] = [];
  for (const be of [g, cpu] as Backend[]) {
    const x = upload(be, bits);
    const inputs = [be.upload(transposed ? dz : w), be.upload(bias)];
    const out = transposed
      ? be.bitMatmulTransposed(x, inputs[0], { models, n })
      : be.bitMatmul(x, inputs[0], { ...spec, bias: spec.withBias ? inputs[1] : undefined });
    outs.push(await be.read(out));
    be.release(out);
    inputs.forEach((s) => be.release(s));
    be.releaseBitMatrix(x);
  }
  expectClose(outs[0], outs[1], TOL, `${transposed ? 'bitMatmulTransposed' : 'bitMatmul'} ${JSON.stringify(spec)}`);
  return outs[0];
}

// Row 0 empty, row 1 the two extreme bits, the rest random at ~20 %.
const awkward = randomBits(9, 37, 0.2, 1, { 0: [], 1: [0, 36] });

describe('bitMatmul', () => {
  it.each(['none', 'relu', 'sigmoid', 'tanh'] as Activation[])('X·W + b with %s, awkward rows, n = 5', async (activation) => {
    await twinBits(awkward, { models: 1, n: 5, withBias: true, activation });
  });

  it('one row, n = 1, no bias', async () => {
    await twinBits(randomBits(1, 10, 0.5, 2), { models: 1, n: 1 });
  });

  it('3 models sharing X, per-model bias', async () => {
    await twinBits(awkward, { models: 3, n: 6, withBias: true, batchBias: true, activation: 'relu' });
  });

  it('the study shape: 100 rows of 1,024 ECFP-like bits (3 %) into 50 units', async () => {
    await twinBits(randomBits(100, 1024, 0.03, 7), { models: 1, n: 50, withBias: true, activation: 'relu' });
  });

  it('equals the dense product of the same 0/1 matrix', async () => {
    const g = await gpu();
    const bits = randomBits(13, 40, 0.25, 8, { 4: [] });
    const w = rand(40 * 7, 9);
    const x = upload(g, bits);
    const sparse = await g.read(g.bitMatmul(x, g.upload(w), { models: 1, n: 7 }));
    const dense = await cpu.read(cpu.matmul(cpu.upload(toDense(bits)), cpu.upload(w), { batch: 1, m: 13, k: 40, n: 7 }));
    expectClose(sparse, dense, TOL, 'sparse vs dense');
  });
});

describe('bitMatmulTransposed (the weight gradient)', () => {
  it('awkward rows, n = 5; one model and three', async () => {
    await twinBits(awkward, { models: 1, n: 5 }, true);
    await twinBits(awkward, { models: 3, n: 3 }, true);
  });

  it('columns no row sets get zeros, and two runs are bitwise equal', async () => {
    const bits = randomBits(50, 64, 0.1, 11, { 0: [63] });
    const a = await twinBits(bits, { models: 2, n: 9 }, true);
    const b = await twinBits(bits, { models: 2, n: 9 }, true);
    expect(Array.from(a)).toEqual(Array.from(b));
    const used = new Set(bits.indices);
    for (let c = 0; c < 64; c++) if (!used.has(c)) for (let i = 0; i < 9; i++) expect(a[c * 9 + i]).toBe(0);
  });
});

describe('bit matrix errors', () => {
  it('name the op and the shapes', async () => {
    const g = await gpu();
    for (const be of [g, cpu] as Backend[]) {
      expect(() => be.uploadBitMatrix(Uint32Array.of(0, 2), Uint32Array.of(1, 9), 8)).toThrow(/uploadBitMatrix: row 0 has column 9, outside \[0, 8\)/);
      expect(() => be.uploadBitMatrix(Uint32Array.of(0, 3), Uint32Array.of(1, 2), 8)).toThrow(/offsets\[1\] = 3 must equal the 2 indices/);
      const x = upload(be, awkward);
      const w = be.upload(rand(10, 1));
      expect(() => be.bitMatmul(x, w, { models: 1, n: 5 })).toThrow(/bitMatmul: W has 10 elements; X \[9, 37\] with 1 model\(s\) of 5 outputs needs W 1×37×5 = 185/);
      expect(() => be.bitMatmulTransposed(x, w, { models: 1, n: 5 })).toThrow(/bitMatmulTransposed: dz has 10 elements; .* needs dz 1×9×5 = 45/);
      be.releaseBitMatrix(x);
      expect(() => be.bitMatmul(x, w, { models: 1, n: 5 })).toThrow(/bitMatmul: bit matrix was released/);
      be.release(w);
    }
  });
});
