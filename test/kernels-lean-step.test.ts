// The kernels of the lean training step against their CPU twins on awkward shapes, and against the longer paths
// they replace: the fused loss (xent.wgsl:fused — loss, its gradient and the running sum in one dispatch), relu and
// dropout backward in one pass (dropout-models.wgsl:reluBackward), the sparse layer's weight and bias gradients in
// one dispatch (bit-matmul.wgsl:transposed), arenas (one buffer, several tensors) and the optimizer step over a whole
// arena (optim-models.wgsl:*Seg).
import { describe, expect, it } from 'vitest';
import type { Backend, ModelOptimSpec, Storage } from '../src/backend/backend.ts';
import type { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { randomBits } from './helpers/bits.ts';
import { cpu, expectClose, gpu, rand } from './helpers/backends.ts';
import { keysFor } from './helpers/dropout-keys.ts';

const TOL = { atol: 2e-6, rtol: 1e-5 };

async function both(): Promise<Backend[]> {
  return [await gpu(), cpu];
}

describe('the fused loss', () => {
  it.each([[1, 1], [1, 7], [3, 1], [4, 100], [2, 129], [64, 101]])('%i models × %i logits: losses, dlogits and the running sum match the two-kernel path and the CPU twin', async (models, L) => {
    const x = rand(models * L, L, -8, 8), z = rand(L, L + 1).map((v) => (v > 0 ? 1 : 0)), w = rand(L, L + 2, 0, 3);
    for (const reduction of ['sum', 'mean'] as const) {
      const got: Float32Array[][] = [];
      for (const be of await both()) {
        const [xs, zs, ws] = [x, z, w].map((a) => be.upload(a));
        const total = be.upload(rand(models, 5));
        const r1 = be.sigmoidXentModels(xs, zs, ws, { models, reduction, grad: true, total });
        const r2 = be.sigmoidXentModels(xs, zs, ws, { models, reduction, grad: false, total });
        expect(r2.dlogits).toBeNull();
        // The path it replaces: elementwise losses reduced, and the backward kernel with a gradient of ones.
        const e = be.sigmoidXent(xs, zs, ws, models);
        const ref = be.reduce(reduction, e, models, L, 1);
        const ones = be.upload(new Float32Array(models).fill(1));
        const dl = reduction === 'mean' ? be.unary('scale', ones, 1 / L) : ones;
        const refGrad = be.sigmoidXentBackward(xs, zs, ws, dl, models);
        got.push((await be.readMany([r1.loss, r2.loss, r1.dlogits!, total, ref, refGrad])) as Float32Array[]);
      }
      const what = `${models}×${L} ${reduction}`;
      for (const [k, name] of ['loss', 'loss without grad', 'dlogits', 'total'].entries()) expectClose(got[0][k], got[1][k], TOL, `${what} ${name}`);
      for (const [b, be] of ['gpu', 'cpu'].entries()) {
        const [loss, loss2, dlogits, total, ref, refGrad] = got[b];
        expectClose(loss, ref, { atol: 1e-5, rtol: 1e-5 }, `${what} ${be} loss vs reduce`);
        expect(Array.from(loss2), `${what} ${be}`).toEqual(Array.from(loss));
        // The gradient is the same arithmetic as the backward kernel's: equal, not close.
        expect(Array.from(dlogits), `${what} ${be} dlogits`).toEqual(Array.from(refGrad));
        const start = rand(models, 5);
        for (let m = 0; m < models; m++) expect(total[m]).toBeCloseTo(start[m] + 2 * loss[m], 4);
      }
    }
  });

  it('names a running total of the wrong size', () => {
    const s = (n: number) => cpu.upload(new Float32Array(n));
    expect(() => cpu.sigmoidXentModels(s(6), s(3), s(3), { models: 2, reduction: 'sum', grad: true, total: s(3) })).toThrow(/total has 3 elements, expected 2/);
  });
});

describe('relu and dropout backward in one pass', () => {
  it.each([[1, 1, 1], [3, 7, 5], [2, 129, 67], [5, 10, 50]])('models=%i rows=%i cols=%i: equals dropout backward then relu backward, on both backends', async (models, rows, cols) => {
    const keys = keysFor(models, cols);
    const spec = { models, rows, cols, stream: 1, keys };
    const pre = rand(models * rows * cols, rows + cols), dy = rand(models * rows * cols, 7);
    const got: Float32Array[] = [];
    for (const be of await both()) {
      const a = be.unary('relu', be.upload(pre));
      const y = be.dropoutModels(a, spec);
      const g = be.upload(dy);
      const fused = be.dropoutModelsReluBackward(y, g, spec);
      const ref = be.unaryBackward('relu', a, a, be.dropoutModels(g, spec));
      const [f, r] = (await be.readMany([fused, ref])) as Float32Array[];
      // Equal values; a dropped unit is +0 here and may be −0 on the two-kernel path (0 · a negative dy).
      const signless = (a: Float32Array) => Array.from(a, (v) => (v === 0 ? 0 : v));
      expect(signless(f), be.kind).toEqual(signless(r));
      got.push(f);
    }
    expectClose(got[0], got[1], TOL, 'gpu vs cpu');
  });
});

describe("the sparse layer's weight and bias gradients in one dispatch", () => {
  // Row 0 empty, row 1 the extreme bits; several models; n not a multiple of 8 or 4.
  const cases: [number, number, number, number][] = [[1, 1, 10, 1], [1, 9, 37, 5], [3, 9, 37, 13], [2, 100, 70, 50]];
  it.each(cases)('models=%i rows=%i cols=%i n=%i: dW and db match the CPU, the transposed product and the column sums', async (models, rows, cols, n) => {
    const bits = randomBits(rows, cols, 0.2, rows + cols, rows > 1 ? { 0: [], 1: [0, cols - 1] } : {});
    const dz = rand(models * rows * n, 9);
    const got: Float32Array[][] = [];
    for (const be of await both()) {
      const x = be.uploadBitMatrix(bits.offsets, Uint32Array.from(bits.indices), cols);
      const d = be.upload(dz);
      const r = be.bitMatmulGrads(x, d, { models, n, bias: true });
      // Into targets laid out as a parameter arena's W then b, and into targets that are not (a pair is made).
      const arena = be.arena([models * cols * n, models * n]);
      const t = be.bitMatmulGrads(x, d, { models, n, bias: true, out: { dW: arena.views[0], db: arena.views[1] } });
      expect(t.dW).toBe(arena.views[0]);
      expect(t.db).toBe(arena.views[1]);
      const noBias = be.bitMatmulGrads(x, d, { models, n, bias: false });
      expect(noBias.db).toBeNull();
      const ref = [be.bitMatmulTransposed(x, d, { models, n }), be.reduce('sum', d, models, rows, n)];
      got.push((await be.readMany([r.dW, r.db!, arena.views[0], arena.views[1], noBias.dW, ...ref])) as Float32Array[]);
      for (const s of [r.dW, r.db!, noBias.dW, ...ref, d]) be.release(s);
      be.release(arena.whole);
      be.releaseBitMatrix(x);
    }
    for (let k = 0; k < 2; k++) expectClose(got[0][k], got[1][k], TOL, `${k ? 'db' : 'dW'} gpu vs cpu`);
    for (const [b, name] of ['gpu', 'cpu'].entries()) {
      const [dW, db, tW, tb, nW, refW, refB] = got[b];
      expect(Array.from(tW), name).toEqual(Array.from(dW));
      expect(Array.from(tb), name).toEqual(Array.from(db));
      expect(Array.from(nW), name).toEqual(Array.from(dW));
      expect(Array.from(refW), name).toEqual(Array.from(dW));
      expectClose(db, refB, { atol: 1e-5, rtol: 1e-5 }, `${name} db vs reduce`);
    }
  });

  it('a pair of outputs goes back to the pool when both are released, whichever first', async () => {
    const g = (await gpu()) as WebGpuBackend;
    const bits = randomBits(5, 12, 0.3, 3);
    const x = g.uploadBitMatrix(bits.offsets, Uint32Array.from(bits.indices), 12);
    const d = g.upload(rand(5 * 3, 1));
    await g.rt.sync();
    const before = g.rt.pool.stats();
    for (let i = 0; i < 20; i++) {
      const r = g.bitMatmulGrads(x, d, { models: 1, n: 3, bias: true });
      g.release(i % 2 ? r.dW : r.db!);
      g.release(i % 2 ? r.db! : r.dW);
      g.flush();
    }
    await g.rt.sync();
    expect(g.rt.pool.stats().liveBuffers).toBe(before.liveBuffers);
    g.release(d);
    g.releaseBitMatrix(x);
  });
});

describe('arenas', () => {
  it('views read, write and bind at their offsets; releasing a view keeps it, releasing the whole ends them all', async () => {
    for (const be of await both()) {
      const { whole, views } = be.arena([5, 1, 130]);
      expect(views.map((v) => v.length)).toEqual([5, 1, 130]);
      const layout = be.arenaLayout(views)!;
      expect(layout.whole).toBe(whole);
      expect(layout.offsets[0]).toBe(0);
      // Aligned so the device can bind each one (256 bytes on WebGPU).
      for (const o of layout.offsets) expect(o % (be.kind === 'webgpu' ? 64 : 4)).toBe(0);
      be.write(views[1], 0, [7]);
      be.write(views[2], 128, [1, 2]);
      const doubled = be.unary('scale', views[2], 2);
      const [a, b, c, d] = await be.readMany([views[0], views[1], views[2], doubled]);
      expect(Array.from(a)).toEqual([0, 0, 0, 0, 0]);
      expect(Array.from(b)).toEqual([7]);
      expect(Array.from(c.subarray(126))).toEqual([0, 0, 1, 2]);
      expect(Array.from(d.subarray(126))).toEqual([0, 0, 2, 4]);
      be.release(views[1]);
      expect(Array.from(await be.read(views[1]))).toEqual([7]);
      expect(be.arenaLayout([views[0], doubled])).toBeNull();
      be.release(doubled);
      be.release(whole);
      await expect(be.read(views[0])).rejects.toThrow(/released/);
    }
  });
});

describe('one optimizer step over an arena', () => {
  const kinds: ModelOptimSpec['kind'][] = ['sgd', 'momentum', 'adam'];
  // Per-model slices of 13 (odd), 1 (a one-output bias), 64 and 50; 18 tensors take two dispatches of 16 segments.
  const layouts: [string, number, number[]][] = [['book', 1, [1024 * 50, 50, 50, 1]], ['odd', 3, [13, 1, 64, 50]], ['many', 5, Array.from({ length: 18 }, (_, i) => 1 + ((i * 7) % 20))]];
  it.each(kinds.flatMap((k) => layouts.map(([name, models, per]) => [k, name, models, per] as const)))('%s, %s layout: equals a step per tensor, on both backends; frozen models and the gaps stay put', async (kind, _name, models, per) => {
    const lengths = per.map((p) => p * models);
    const spec: ModelOptimSpec = {
      kind, models, beta1: 0.9, beta2: 0.999, eps: 1e-8,
      lr: Array.from({ length: models }, (_, i) => 10 ** -(1 + (i % 3))),
      t: Array.from({ length: models }, (_, i) => (models > 1 && i === 1 ? 0 : 1 + i)),
    };
    const g = (await gpu()) as WebGpuBackend;
    const results: Float32Array[][] = [];
    for (const [be, split] of [[g, false], [g, true], [cpu, null]] as [Backend, boolean | null][]) {
      if (be === g) g.optimSplitOverride = split;
      const arenas = [0, 1, 2, 3].map(() => be.arena(lengths));
      const layout = be.arenaLayout(arenas[0].views)!;
      const seeds = [11, 12, 13, 14];
      arenas.forEach((a, k) => a.views.forEach((v, i) => be.write(v, 0, rand(lengths[i], seeds[k] * 100 + i, k === 3 ? 0 : -1, 1))));
      const separate = arenas.map((_, k) => lengths.map((n, i) => be.upload(rand(n, seeds[k] * 100 + i, k === 3 ? 0 : -1, 1))));
      const segments = lengths.map((length, i) => ({ offset: layout.offsets[i], length }));
      const [p, gr, m, v] = arenas.map((a) => a.whole);
      for (let step = 0; step < 2; step++) {
        const s = { ...spec, t: Array.from(spec.t, (t) => (t ? t + step : 0)) };
        be.optimModels(p, gr, kind === 'sgd' ? null : m, kind === 'adam' ? v : null, { ...s, segments });
        lengths.forEach((_, i) => be.optimModels(separate[0][i], separate[1][i], kind === 'sgd' ? null : separate[2][i], kind === 'adam' ? separate[3][i] : null, s));
      }
      const read = await be.readMany([p, m, v, ...separate[0], ...separate[2], ...separate[3]]);
      const n = lengths.length;
      const cat = (xs: (Float32Array | Float64Array)[]) => Float32Array.from(xs.flatMap((x) => Array.from(x)));
      const pick = (whole: Float32Array | Float64Array) => cat(lengths.map((len, i) => whole.subarray(layout.offsets[i], layout.offsets[i] + len)));
      const gaps = (whole: Float32Array | Float64Array) => Array.from(whole).filter((_, e) => !segments.some((sg) => e >= sg.offset && e < sg.offset + sg.length));
      for (const k of [0, 1, 2]) {
        expect(gaps(read[k]).every((x) => x === 0), `${be.kind} gaps of buffer ${k}`).toBe(true);
        expectClose(pick(read[k]), cat(read.slice(3 + k * n, 3 + (k + 1) * n)), { atol: 1e-6, rtol: 1e-5 }, `${be.kind} split ${split} arena vs per tensor, buffer ${k}`);
      }
      results.push([pick(read[0]), pick(read[1]), pick(read[2])]);
      if (models > 1) {
        // Model 1 was frozen: its slice of every tensor is as written.
        const p0 = rand(lengths[0], 1100, -1, 1);
        const per0 = per[0];
        expect(Array.from(results.at(-1)![0].subarray(per0, 2 * per0))).toEqual(Array.from(p0.subarray(per0, 2 * per0)));
      }
      for (const a of arenas) be.release(a.whole);
      for (const s of separate.flat()) be.release(s as Storage);
    }
    g.optimSplitOverride = null;
    for (const k of [0, 1, 2]) {
      // f32 on the GPU against the CPU's double arithmetic rounded to f32, after two steps at a learning rate of 0.1.
      expectClose(results[0][k], results[2][k], { atol: 1e-5, rtol: 1e-4 }, `gpu vs cpu, buffer ${k}`);
      expect(Array.from(results[1][k])).toEqual(Array.from(results[0][k]));
    }
  });

  it('names a segment that is out of order, misaligned or does not split into models', () => {
    const a = cpu.arena([8, 6]);
    const spec: ModelOptimSpec = { kind: 'sgd', models: 2, lr: [1, 1], t: [1, 1], beta1: 0, beta2: 0, eps: 0 };
    const run = (segments: { offset: number; length: number }[]) => cpu.optimModels(a.whole, a.whole, null, null, { ...spec, segments });
    expect(() => run([{ offset: 8, length: 6 }, { offset: 0, length: 8 }])).toThrow(/segment 1 starts at 0/);
    expect(() => run([{ offset: 2, length: 6 }])).toThrow(/multiples of 4/);
    expect(() => run([{ offset: 0, length: 7 }])).toThrow(/segment 0 has 7 parameters, which do not split into 2 models/);
    expect(() => run([{ offset: 8, length: 8 }])).toThrow(/reach element 16 of an arena of 14/);
  });
});
