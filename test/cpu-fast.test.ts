// The float32 CPU path (CpuBackend('f32'), src/backend/cpu/fast-*.ts) against the float64 oracle (CpuBackend('f64'))
// on awkward shapes: one row, primes, n = 1, n not a multiple of 4, several models with padded widths, empty bit
// rows, arenas of several segments, frozen models. Where the fast kernel keeps the oracle's sums in the oracle's
// order (matmul, dropout, the sparse layer in JavaScript) it must also equal the oracle's loops run in float32, bit
// for bit; where the sparse layer runs in WebAssembly SIMD (relu or none) it must equal the
// same sums taken in float32 in the same order, as the GPU's shader takes them.
import { describe, expect, it } from 'vitest';
import type { Activation, Backend, MatmulSpec, ModelOptimSpec, Storage } from '../src/backend/backend.ts';
import { bitCsr } from '../src/backend/bit-matrix.ts';
import { bitMatmulCpu, bitMatmulTransposedCpu } from '../src/backend/cpu/bit-matmul.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { philoxPair } from '../src/backend/cpu/fast-dropout.ts';
import { matmulCpu } from '../src/backend/cpu/matmul.ts';
import { dropoutMask, philox4x32 } from '../src/backend/cpu/philox.ts';
import { Rng } from '../src/random/rng.ts';
import { expectClose, rand } from './helpers/backends.ts';
import { randomBits } from './helpers/bits.ts';
import { keysFor } from './helpers/dropout-keys.ts';

const f32 = new CpuBackend('f32');
const f64 = new CpuBackend('f64');
const CLOSE = { atol: 1e-5, rtol: 1e-5 };

/** Runs op on both precisions with the same inputs; returns [f32 result, f64 result]. */
async function both(inputs: ArrayLike<number>[], op: (be: Backend, xs: Storage[]) => Storage): Promise<[Float32Array, Float64Array]> {
  const out: (Float32Array | Float64Array)[] = [];
  for (const be of [f32, f64]) {
    const xs = inputs.map((x) => be.upload(x));
    const y = op(be, xs);
    out.push(await be.read(y));
    be.release(y);
    xs.forEach((x) => be.release(x));
  }
  return out as [Float32Array, Float64Array];
}

/** Inputs with exact zeros sprinkled in (the kernels skip zeros of A, as the oracle does). */
function withZeros(n: number, seed: number): Float32Array {
  const a = rand(n, seed);
  for (let i = 0; i < n; i += 3) a[i] = 0;
  return a;
}

describe('matmul, float32 path', () => {
  const shapes: [number, number, number, number][] = [[1, 1, 1, 1], [1, 1, 7, 1], [1, 7, 1, 5], [1, 13, 17, 1], [2, 5, 3, 7], [3, 7, 13, 50], [1, 100, 50, 1], [1, 50, 12, 500], [1, 701, 3, 30], [2, 3, 5, 4], [1, 50, 500, 12], [1, 500, 50, 12]];
  const acts: Activation[] = ['none', 'relu', 'sigmoid', 'tanh'];
  it.each(shapes)('batch %i, %i×%i·×%i: every transpose, broadcast, bias and activation equals the oracle in f32 and is close to f64', async (batch, m, k, n) => {
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
      for (const [batchA, batchB, batchBias] of [[true, true, true], [false, true, false], [true, false, true]]) {
        const act = acts[(m + k + n + (transA ? 1 : 0) + (transB ? 2 : 0)) % 4];
        const spec: MatmulSpec = { batch, m, k, n, transA, transB, batchA, batchB, batchBias, activation: act };
        const a = withZeros((batchA ? batch : 1) * m * k, m + k), b = rand((batchB ? batch : 1) * k * n, n + 1), bias = rand((batchBias ? batch : 1) * n, 3);
        const what = `${JSON.stringify(spec)}`;
        const [got, want] = await both([a, b, bias], (be, [x, y, z]) => be.matmul(x, y, { ...spec, bias: z }));
        expectClose(got, want, CLOSE, what);
        const ref = new Float32Array(batch * m * n);
        const simd = f32.simd && n % 4 === 0 && (act === 'none' || act === 'relu') && !(transA && transB);
        (simd ? matmulF32 : matmulCpu)(a, b, bias, spec, ref);
        expect(Array.from(got), `${what}${simd ? ' (SIMD)' : ''}`).toEqual(Array.from(ref));
      }
    }
  });

  it('writes into an output buffer it is given, every element', async () => {
    const out = f32.upload(new Float32Array(7 * 5).fill(Number.NaN));
    const y = f32.matmul(f32.upload(rand(7 * 3, 1)), f32.upload(rand(3 * 5, 2)), { batch: 1, m: 7, k: 3, n: 5, out });
    expect(y).toBe(out);
    expect((await f32.read(out)).every(Number.isFinite)).toBe(true);
  });
});

describe('the sparse layer, float32 path', () => {
  // Row 0 empty, row 1 the extreme bits, rows of 1-4 bits and of many; n = 1, odd, 64 (the register path's edge), 65, 500.
  const cases: [number, number, number, number, number][] = [[1, 1, 10, 1, 0.3], [1, 9, 37, 5, 0.2], [3, 9, 37, 13, 0.2], [2, 100, 70, 50, 0.1], [1, 7, 300, 65, 0.05], [2, 23, 1024, 500, 0.03], [1, 5, 16, 64, 0.9]];
  it.each(cases)('models=%i rows=%i cols=%i n=%i density %f: forward, dW and db equal the oracle in f32 and are close to f64', async (models, rows, cols, n, density) => {
    const bits = randomBits(rows, cols, density, rows * 7 + n, rows > 2 ? { 0: [], 1: [0, cols - 1], 2: [3 % cols] } : {});
    const csr = bitCsr(bits.offsets, Uint32Array.from(bits.indices), cols);
    const w = rand(models * cols * n, 5), dz = withZeros(models * rows * n, 6);
    for (const [batchBias, act] of [[true, 'relu'], [false, 'none'], [true, 'tanh'], [false, 'sigmoid']] as [boolean, Activation][]) {
      const bias = rand((batchBias ? models : 1) * n, 7);
      const spec = { models, n, batchBias, activation: act };
      const run = (be: Backend, [ws, bs]: Storage[]) => {
        const x = be.uploadBitMatrix(bits.offsets, Uint32Array.from(bits.indices), cols);
        return be.bitMatmul(x, ws, { ...spec, bias: bs });
      };
      const [got, want] = await both([w, bias], run);
      expectClose(got, want, CLOSE, `forward ${act}`);
      const ref = new Float32Array(models * rows * n);
      if (simdPath(n, act)) gatherF32(csr.offsets, csr.indices, rows, w, cols, n, models, bias, batchBias, act, ref);
      else bitMatmulCpu(csr, w, bias, spec, ref);
      expect(Array.from(got), `forward ${act}${simdPath(n, act) ? ' (SIMD)' : ''}`).toEqual(Array.from(ref));
    }
    for (const withBias of [true, false]) {
      const res: Float32Array[] = [];
      for (const be of [f32, f64] as CpuBackend[]) {
        const x = be.uploadBitMatrix(bits.offsets, Uint32Array.from(bits.indices), cols);
        const d = be.upload(dz);
        // Into stale targets (NaN): every element must be written.
        const dW = be.upload(new Float32Array(models * cols * n).fill(Number.NaN)), db = be.upload(new Float32Array(models * n).fill(Number.NaN));
        const r = be.bitMatmulGrads(x, d, { models, n, bias: withBias, out: { dW, db } });
        expect(r.dW).toBe(dW);
        res.push(...((await be.readMany(withBias ? [r.dW, r.db!] : [r.dW])) as Float32Array[]));
      }
      const half = res.length / 2;
      expectClose(res[0], res[half], CLOSE, 'dW');
      const refW = new Float32Array(models * cols * n);
      if (simdPath(n, 'none')) gatherF32(csr.tOffsets, csr.tIndices, cols, dz, rows, n, models, null, false, 'none', refW);
      else bitMatmulTransposedCpu(csr, dz, models, n, refW);
      expect(Array.from(res[0]), 'dW vs the oracle in f32').toEqual(Array.from(refW));
      if (withBias) {
        expectClose(res[1], res[half + 1], CLOSE, 'db');
        const refB = await f64.read(f64.reduce('sum', f64.upload(dz), models, rows, n));
        expectClose(res[1], refB, CLOSE, 'db vs reduce');
      }
    }
  });
});

/** The SIMD product's arithmetic written out: float32 products and sums over k ascending (zeros of A skipped), + bias, relu. */
function matmulF32(a: Float32Array, b: Float32Array, bias: Float32Array, s: MatmulSpec, out: Float32Array): void {
  const { batch, m, k, n } = s;
  for (let bi = 0; bi < batch; bi++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = a[(s.batchA === false ? 0 : bi * m * k) + (s.transA ? p * m + i : i * k + p)];
          const bv = b[(s.batchB === false ? 0 : bi * k * n) + (s.transB ? j * k + p : p * n + j)];
          if (av !== 0) acc = Math.fround(acc + Math.fround(av * bv));
        }
        const v = Math.fround(acc + bias[(s.batchBias ? bi * n : 0) + j]);
        out[(bi * m + i) * n + j] = s.activation === 'relu' ? (v > 0 ? v : 0) : v;
      }
}

/** Whether the float32 path takes the sparse layer to WebAssembly SIMD (Node has it). */
function simdPath(n: number, act: Activation): boolean {
  return f32.simd && (act === 'none' || act === 'relu');
}

/** The SIMD gather's arithmetic written out: float32 sums of the gathered rows in order, + bias, relu. */
function gatherF32(offsets: Uint32Array, idx: Uint32Array, rows: number, src: Float32Array, srcRows: number, n: number, models: number,
  bias: Float32Array | null, batchBias: boolean, act: Activation, out: Float32Array): void {
  for (let m = 0; m < models; m++)
    for (let i = 0; i < rows; i++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let t = offsets[i]; t < offsets[i + 1]; t++) s = Math.fround(s + src[(m * srcRows + idx[t]) * n + c]);
        if (bias) s = Math.fround(s + bias[(batchBias ? m * n : 0) + c]);
        out[(m * rows + i) * n + c] = act === 'relu' ? (s > 0 ? s : 0) : s;
      }
}

describe('dropout, float32 path', () => {
  it('the Philox block matches the reference implementation on random counters and keys', () => {
    const r = new Rng(3);
    const out = new Uint32Array(8);
    for (let i = 0; i < 2000; i++) {
      const u = () => Math.floor(r.float() * 2 ** 32) >>> 0;
      const c0 = i < 4 ? [0, 1, 0xffffffff, 0x80000000][i] : u(), c1 = u(), c2 = u(), k0 = u();
      philoxPair(c0, c1, c2, k0, out);
      expect(Array.from(out.subarray(0, 4))).toEqual(Array.from(philox4x32([c0, c1, c2, 0], [k0, 0])));
    }
  });

  it.each([[1, 1, 1], [3, 7, 5], [2, 129, 67], [5, 10, 50], [4, 3, 1]])('models=%i rows=%i cols=%i: dropoutModels (padding to 0) and relu backward equal the oracle', async (models, rows, cols) => {
    const keys = keysFor(models, cols);
    const spec = { models, rows, cols, stream: 3, keys };
    const x = rand(models * rows * cols, rows + cols), dy = rand(models * rows * cols, 7);
    const [got, want] = await both([x], (be, [a]) => be.dropoutModels(a, spec));
    expectClose(got, want, { atol: 0, rtol: 1e-7 }, 'dropoutModels');
    for (let i = 0; i < got.length; i++) expect(got[i] === 0, `element ${i}`).toBe(want[i] === 0);
    const [gb, wb] = await both([x, dy], (be, [a, g]) => be.dropoutModelsReluBackward(be.dropoutModels(be.unary('relu', a), spec), g, spec));
    expectClose(gb, wb, { atol: 0, rtol: 1e-7 }, 'relu backward');
  });

  it('plain dropout keeps the mask of dropoutMask', async () => {
    for (const n of [1, 3, 4, 5, 1001]) {
      const x = rand(n, n).map((v) => v + 2);
      const y = await f32.read(f32.dropout(f32.upload(x), { keep: 0.3, seed: 9, step: 4, stream: 2 }));
      const mask = dropoutMask(n, 0.3, 9, 4, 2);
      for (let i = 0; i < n; i++) expect(y[i]).toBe(mask[i] ? Math.fround(x[i] / 0.3) : 0);
    }
  });
});

describe('the fused loss, float32 path', () => {
  it.each([[1, 1], [1, 7], [3, 100], [2, 129]])('%i models × %i logits: loss, dlogits and the running total are close to f64', async (models, L) => {
    const x = rand(models * L, L, -8, 8), z = rand(L, L + 1).map((v) => (v > 0 ? 1 : 0)), w = rand(L, L + 2, 0, 3);
    for (const reduction of ['sum', 'mean'] as const) {
      const res: Float64Array[][] = [];
      for (const be of [f32, f64] as CpuBackend[]) {
        const [xs, zs, ws] = [x, z, w].map((a) => be.upload(a));
        const total = be.upload(new Float32Array(models).fill(1));
        const r = be.sigmoidXentModels(xs, zs, ws, { models, reduction, grad: true, total });
        res.push((await be.readMany([r.loss, r.dlogits!, total])).map((a) => Float64Array.from(a)));
      }
      for (const k of [0, 1, 2]) expectClose(res[0][k], res[1][k], { atol: 1e-5, rtol: 1e-6 }, `${models}×${L} ${reduction} ${k}`);
    }
  });
});

describe('the optimizer step over arenas, float32 path', () => {
  const kinds: ModelOptimSpec['kind'][] = ['sgd', 'momentum', 'adam'];
  // Per-model slices: 13 (odd), 1, 64 and 50; three models, one frozen; with and without weight decay.
  it.each(kinds.flatMap((k) => [false, true].map((wd) => [k, wd] as const)))('%s, weight decay %s: close to f64 over 3 steps; a frozen model does not move', async (kind, decay) => {
    const models = 3, per = [13, 1, 64, 50], lengths = per.map((p) => p * models);
    const res: Float64Array[][] = [];
    const inits: Float32Array[] = [];
    for (const be of [f32, f64] as CpuBackend[]) {
      const arenas = [0, 1, 2, 3].map(() => be.arena(lengths));
      const layout = be.arenaLayout(arenas[0].views)!;
      const segments = lengths.map((length, i) => ({ offset: layout.offsets[i], length }));
      arenas.forEach((a, k) => a.views.forEach((v, i) => be.write(v, 0, rand(lengths[i], 100 * k + i, k === 3 ? 0 : -1, 1))));
      if (be === f32) inits.push(...((await be.readMany([arenas[0].whole])) as Float32Array[]));
      const [p, g, m, v] = arenas.map((a) => a.whole);
      for (let step = 1; step <= 3; step++) {
        be.optimModels(p, g, kind === 'sgd' ? null : m, kind === 'adam' ? v : null, {
          kind, models, beta1: 0.9, beta2: 0.999, eps: 1e-8, lr: [0.1, 0.01, 0.05], t: [step, 0, step + 4], segments,
          weightDecay: decay ? [0.01, 0.5, 0.2] : undefined,
        });
      }
      res.push((await be.readMany([p, m, v])).map((a) => Float64Array.from(a)));
      const frozen = segments.flatMap((s) => Array.from({ length: s.length / models }, (_, i) => s.offset + s.length / models + i));
      if (be === f32) for (const i of frozen) expect(res[0][0][i]).toBe(inits[0][i]);
    }
    for (const k of [0, 1, 2]) expectClose(res[0][k], res[1][k], { atol: 2e-6, rtol: 1e-5 }, `${kind} buffer ${k}`);
  });
});

describe('Philox pairs', () => {
  it('philoxPair gives blocks c0 and c0 + 1, across the 2^32 wrap too', () => {
    const out = new Uint32Array(8);
    for (const c0 of [0, 1, 77, 0xfffffffe, 0xffffffff]) {
      philoxPair(c0, 9, 4, 123456789, out);
      expect(Array.from(out.subarray(0, 4))).toEqual(Array.from(philox4x32([c0, 9, 4, 0], [123456789, 0])));
      expect(Array.from(out.subarray(4))).toEqual(Array.from(philox4x32([(c0 + 1) >>> 0, 9, 4, 0], [123456789, 0])));
    }
  });
});
