// The float32 CPU path's WebAssembly part (src/backend/cpu/wasm-heap.ts): arenas in one shared WebAssembly memory
// (first-fit free list, growth that leaves earlier arrays valid) and Adam in SIMD over them — against the float64
// oracle on ranges that do not start or end at a multiple of 4, with frozen models, and with a NaN that must survive;
// and dropout's Philox words and masked division, bit for bit against the JavaScript loops on awkward lengths.
import { describe, expect, it } from 'vitest';
import type { ModelOptimSpec } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { WasmHeap } from '../src/backend/cpu/wasm-heap.ts';
import { dropoutBlock, dropoutBlockSimd, dropoutReluBackwardFast } from '../src/backend/cpu/fast-dropout.ts';
import { dropoutMask, philox4x32 } from '../src/backend/cpu/philox.ts';
import { expectClose, rand } from './helpers/backends.ts';

describe('the WebAssembly heap', () => {
  it('is available in Node: float32 arenas live in it, float64 ones do not', () => {
    expect(new CpuBackend('f32').simd).toBe(true);
    expect(new CpuBackend('f64').simd).toBe(false);
  });

  it('reuses freed blocks, merges neighbours, and keeps arrays valid when it grows', () => {
    const h = WasmHeap.create()!;
    const a = h.alloc(10), b = h.alloc(7), c = h.alloc(3);
    a.fill(1);
    c.fill(3);
    expect(b.byteOffset % 16).toBe(0);
    h.release(b);
    const d = h.alloc(5); // fits b's block
    expect(d.byteOffset).toBe(b.byteOffset);
    expect(Array.from(d)).toEqual([0, 0, 0, 0, 0]);
    h.release(d);
    h.release(a);
    const e = h.alloc(17); // a's and b's blocks merged (48 + 32 bytes)
    expect(e.byteOffset).toBe(a.byteOffset);
    const big = h.alloc(1 << 22); // grows the memory
    big[big.length - 1] = 5;
    expect(Array.from(c)).toEqual([3, 3, 3]);
    expect(h.owns(big) && h.owns(c) && !h.owns(new Float32Array(3))).toBe(true);
  });
});

describe('Adam in SIMD over arenas', () => {
  it('matches the float64 oracle over 4 steps: 3 models (one frozen), per-model slices of 13, 1, 6 and 50', async () => {
    const models = 3, per = [13, 1, 6, 50], lengths = per.map((p) => p * models);
    const res: Float64Array[][] = [];
    for (const be of [new CpuBackend('f32'), new CpuBackend('f64')]) {
      const arenas = [0, 1, 2, 3].map(() => be.arena(lengths));
      const layout = be.arenaLayout(arenas[0].views)!;
      const segments = lengths.map((length, i) => ({ offset: layout.offsets[i], length }));
      arenas.forEach((a, k) => a.views.forEach((v, i) => be.write(v, 0, rand(lengths[i], 10 * k + i, k === 3 ? 0 : -1, 1))));
      const [p, g, m, v] = arenas.map((a) => a.whole);
      for (let t = 1; t <= 4; t++) {
        const spec: ModelOptimSpec = { kind: 'adam', models, beta1: 0.9, beta2: 0.999, eps: 1e-8, lr: [0.05, 0.1, 0.01], t: [t, 0, t + 7], segments };
        be.optimModels(p, g, m, v, spec);
      }
      res.push((await be.readMany([p, m, v])).map((a) => Float64Array.from(a)));
    }
    for (const k of [0, 1, 2]) expectClose(res[0][k], res[1][k], { atol: 2e-6, rtol: 1e-5 }, `buffer ${k}`);
  });

  it('a NaN gradient makes the parameter NaN (it is not flushed away), tiny moments become 0', async () => {
    const be = new CpuBackend('f32');
    const [p, g, m, v] = [0, 1, 2, 3].map(() => be.arena([8]));
    be.write(p.whole, 0, [1, 1, 1, 1, 1, 1, 1, 1]);
    be.write(g.whole, 0, [Number.NaN, 0, 0, 0, 0, 0, 0, Number.NaN]);
    be.write(m.whole, 0, [0, 1e-38, 0, 0, 0, 0, 0, 0]);
    be.optimModels(p.whole, g.whole, m.whole, v.whole, { kind: 'adam', models: 1, lr: [0.1], t: [1], beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const [pp, mm] = await be.readMany([p.whole, m.whole]);
    expect(Number.isNaN(pp[0]) && Number.isNaN(pp[7])).toBe(true);
    expect(mm[1]).toBe(0);
    expect(Array.from(pp.subarray(1, 7))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('a released arena goes back to the heap: a network built and dropped 50 times does not grow it', () => {
    const be = new CpuBackend('f32');
    const sizes = () => [1024 * 50, 50, 50, 1];
    const first = be.arena(sizes());
    const at = (first.whole as unknown as { data: Float32Array }).data.byteOffset;
    be.release(first.whole);
    for (let i = 0; i < 50; i++) {
      const a = be.arena(sizes());
      expect((a.whole as unknown as { data: Float32Array }).data.byteOffset).toBe(at);
      be.release(a.whole);
    }
  });
});

describe('dropout in SIMD (Philox words and the masked division in WebAssembly)', () => {
  const h = WasmHeap.create()!;

  it('the Philox words equal the reference block by block, over lengths that are not multiples of 16 and high keys', () => {
    for (const [n, step, stream, seed] of [[1, 0, 0, 0], [17, 5, 3, 1], [100, 0xffffffff, 2, 0xdeadbeef], [1001, 123456, 7, 0x80000000]]) {
      const w = h.philox(n, step, stream, seed);
      for (let e = 0; e < n; e++) expect(w[e], `element ${e}`).toBe(philox4x32([e >>> 2, step, stream, 0], [seed, 0])[e & 3]);
    }
  });

  it.each([[1, 1, 1], [7, 5, 5], [3, 50, 50], [4, 13, 9], [2, 6, 0]])('rows=%i cols=%i width=%i: the same output, bit for bit, as the JavaScript mask (keep 0.3, −0, NaN, ±∞ among x)', (rows, cols, width) => {
    const n = rows * cols, x = h.alloc(n), a = h.alloc(n), b = h.alloc(n);
    x.set(rand(n, n + 1, -3, 3));
    const specials = [-0, NaN, Infinity, -Infinity, 1e-40];
    specials.forEach((v, i) => i < n && (x[(i * 7) % n] = v));
    b.fill(9);
    dropoutBlock(x, a, 0, rows, cols, width, 0.3, 11, 0xfffffff0, 2);
    dropoutBlockSimd(h, x, b, 0, rows, cols, width, 0.3, 11, 0xfffffff0, 2);
    for (let i = 0; i < n; i++) expect(Object.is(a[i], b[i]), `element ${i}: ${a[i]} vs ${b[i]}`).toBe(true);
    const mask = dropoutMask(rows * width, 0.3, 11, 0xfffffff0, 2);
    for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) expect(b[r * cols + c] === 0 || Number.isNaN(b[r * cols + c])).toBe(!mask[r * width + c] || x[r * cols + c] === 0 || Number.isNaN(x[r * cols + c]));
  });

  it.each([1, 3, 4, 50, 1003])('relu backward over %i elements per model equals the JavaScript loop bit for bit (y with 0, −0, NaN)', (per) => {
    const models = 2, n = models * per, y = h.alloc(n), dy = h.alloc(n), a = h.alloc(n), b = h.alloc(n);
    y.set(rand(n, per, -1, 1));
    dy.set(rand(n, per + 5, -2, 2));
    [0, -0, NaN].forEach((v, i) => i < n && (y[(i * 5) % n] = v));
    const keep = [0.3, 0.75];
    dropoutReluBackwardFast(y, dy, a, models, per, keep, null);
    dropoutReluBackwardFast(y, dy, b, models, per, keep, h);
    for (let i = 0; i < n; i++) {
      expect(Object.is(a[i], b[i]), `element ${i}`).toBe(true);
      expect(b[i]).toBe(y[i] > 0 ? Math.fround(dy[i] / keep[Math.floor(i / per)]) : 0);
    }
  });
});
