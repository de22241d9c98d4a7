// The per-model kernels of population training (shaders/dropout-models.wgsl, optim-models.wgsl, xent.wgsl with a
// model axis) against their CPU twins on awkward shapes, and the properties that make a population member equal
// its solo run: model m's mask does not depend on the population's size, its slot or the padding.
import { describe, expect, it } from 'vitest';
import type { Backend, ModelKeys, ModelOptimSpec } from '../src/backend/backend.ts';
import { cpu, expectClose, gpu, rand, twin } from './helpers/backends.ts';

function keysFor(models: number, cols: number, seed: number, padded = true): ModelKeys {
  return {
    keep: Array.from({ length: models }, (_, m) => [0.5, 0.9, 0.25, 1, 0.75][m % 5]),
    seed: Array.from({ length: models }, (_, m) => (seed * 7919 + m * 104729) >>> 0),
    step: Array.from({ length: models }, (_, m) => 3 + m),
    width: Array.from({ length: models }, (_, m) => (padded ? Math.max(1, cols - (m % 3) * 2) : cols)),
  };
}

describe('per-model dropout', () => {
  // Padded layers take the per-element entry, unpadded ones the four-per-Philox entry.
  it.each([[1, 1, 1, true], [3, 7, 5, true], [5, 33, 13, true], [64, 10, 50, true], [2, 129, 67, true], [1, 1, 1, false], [3, 7, 5, false], [64, 10, 50, false], [2, 129, 67, false]])('models=%i rows=%i cols=%i padded=%s: GPU equals the CPU twin', async (models, rows, cols, padded) => {
    const keys = keysFor(models, cols, models + rows, padded as boolean);
    const x = rand(models * rows * cols, rows * cols + 1);
    const out = await twin(`dropoutModels ${models}×${rows}×${cols}${padded ? ' padded' : ''}`, [x], (be, [a]) => be.dropoutModels(a, { models, rows, cols, stream: 2, keys }), { atol: 0, rtol: 1e-6 });
    // Padding comes out 0.
    for (let m = 0; m < models; m++) for (let r = 0; r < rows; r++) for (let c = keys.width[m]; c < cols; c++) expect(out[(m * rows + r) * cols + c]).toBe(0);
  });

  it("model m's mask is its solo mask: independent of the population, the slot and the padding", async () => {
    const g = await gpu();
    const rows = 9, cols = 12, models = 4;
    const keys = keysFor(models, cols, 5);
    const x = rand(models * rows * cols, 11);
    for (const be of [g, cpu] as Backend[]) {
      const xs = be.upload(x);
      const pop = await be.read(be.dropoutModels(xs, { models, rows, cols, stream: 1, keys }));
      for (let m = 0; m < models; m++) {
        const w = keys.width[m];
        // The solo run: one model of its real width, with the plain dropout kernel.
        const solo = Float32Array.from({ length: rows * w }, (_, e) => x[(m * rows + Math.floor(e / w)) * cols + (e % w)]);
        const ys = await be.read(be.dropout(be.upload(solo), { keep: keys.keep[m], seed: keys.seed[m], step: keys.step[m], stream: 1 }));
        const member = Float32Array.from({ length: rows * w }, (_, e) => pop[(m * rows + Math.floor(e / w)) * cols + (e % w)]);
        expect(Array.from(member), `${be.kind} model ${m}`).toEqual(Array.from(ys));
      }
    }
  });

  it('rejects bad keys, naming the model', () => {
    const x = cpu.upload(new Float32Array(6));
    const keys = { keep: [0.5, 0], seed: [1, 2], step: [0, 0], width: [3, 3] };
    expect(() => cpu.dropoutModels(x, { models: 2, rows: 1, cols: 3, stream: 0, keys })).toThrow(/keep probability of model 1/);
    expect(() => cpu.dropoutModels(x, { models: 2, rows: 1, cols: 3, stream: 0, keys: { ...keys, keep: [1, 1], width: [3, 4] } })).toThrow(/width of model 1/);
  });
});

describe('per-model optimizer steps', () => {
  // Slices of 8, 12, 64 take the vec4 entries; the others the scalar ones.
  const cases: [ModelOptimSpec['kind'], number, number][] = [['sgd', 3, 7], ['sgd', 2, 8], ['momentum', 5, 1], ['momentum', 5, 12], ['adam', 4, 13], ['adam', 64, 50], ['adam', 3, 64], ['adam', 2, 1031]];
  it.each(cases)('%s, %i models × %i: GPU equals the CPU twin; a frozen model does not move', async (kind, models, per) => {
    const g = await gpu();
    const n = models * per;
    const p0 = rand(n, 1), g0 = rand(n, 2), m0 = rand(n, 3), v0 = rand(n, 4, 0, 1);
    const spec: ModelOptimSpec = {
      kind, models, beta1: 0.9, beta2: 0.999, eps: 1e-8,
      lr: Array.from({ length: models }, (_, i) => 10 ** -(1 + (i % 4))),
      // Model 1 is frozen; the others at different steps (a refilled slot starts again at 1).
      t: Array.from({ length: models }, (_, i) => (i === 1 ? 0 : 1 + ((i * 5) % 9))),
    };
    const results: Float32Array[][] = [];
    for (const be of [g, cpu] as Backend[]) {
      const [p, gr, m, v] = [p0, g0, m0, v0].map((a) => be.upload(a));
      be.optimModels(p, gr, kind === 'sgd' ? null : m, kind === 'adam' ? v : null, spec);
      be.optimModels(p, gr, kind === 'sgd' ? null : m, kind === 'adam' ? v : null, { ...spec, t: Array.from(spec.t, (t) => (t ? t + 1 : 0)) });
      results.push((await be.readMany([p, m, v])) as Float32Array[]);
    }
    for (let k = 0; k < 3; k++) expectClose(results[0][k], results[1][k], { atol: 1e-6, rtol: 1e-5 }, `${kind} buffer ${k}`);
    const [p, m, v] = results[0];
    for (let i = per; i < 2 * per; i++) {
      expect(p[i]).toBe(p0[i]);
      expect(m[i]).toBe(m0[i]);
      expect(v[i]).toBe(v0[i]);
    }
    // The others moved.
    expect(p[0]).not.toBe(p0[0]);
  });

  it('rejects a bad step or a parameter count that does not split into models', () => {
    const p = cpu.upload(new Float32Array(6)), gr = cpu.upload(new Float32Array(6));
    expect(() => cpu.optimModels(p, gr, null, null, { kind: 'sgd', models: 4, lr: [1, 1, 1, 1], t: [1, 1, 1, 1], beta1: 0, beta2: 0, eps: 0 })).toThrow(/do not split into 4 models/);
    expect(() => cpu.optimModels(p, gr, null, null, { kind: 'sgd', models: 2, lr: [1, 1], t: [1, -1], beta1: 0, beta2: 0, eps: 0 })).toThrow(/step of model 1/);
  });
});

describe('sigmoid cross-entropy over a model axis', () => {
  it.each([[1, 7], [3, 1], [4, 100], [64, 101]])('%i models × %i logits: labels and weights shared; dloss per model, per logit, one', async (models, L) => {
    const x = rand(models * L, L, -8, 8), z = rand(L, L + 1).map((v) => (v > 0 ? 1 : 0)), w = rand(L, L + 2, 0, 3);
    const tol = { atol: 2e-6, rtol: 1e-5 };
    const loss = await twin(`xent ${models}×${L}`, [x, z, w], (be, [a, b, c]) => be.sigmoidXent(a, b, c, models), tol);
    // Model m's losses are the solo losses of its logits.
    const solo = await twin('xent solo', [x.subarray((models - 1) * L), z, w], (be, [a, b, c]) => be.sigmoidXent(a, b, c), tol);
    expect(Array.from(loss.subarray((models - 1) * L))).toEqual(Array.from(solo));
    for (const d of [rand(models, 9), rand(models * L, 10), rand(1, 11)]) {
      await twin(`xent' ${models}×${L} dloss ${d.length}`, [x, z, w, d], (be, [a, b, c, e]) => be.sigmoidXentBackward(a, b, c, e, models), tol);
    }
  });

  it('names a dloss that fits no layout', () => {
    const x = cpu.upload(new Float32Array(12)), z = cpu.upload(new Float32Array(4)), w = cpu.upload(new Float32Array(4));
    expect(() => cpu.sigmoidXentBackward(x, z, w, cpu.upload(new Float32Array(5)), 3)).toThrow(/dloss has 5 elements; expected 1, 3 \(one per model\) or 12/);
    expect(() => cpu.sigmoidXent(x, z, cpu.upload(new Float32Array(3)), 3)).toThrow(/weights has 3 elements, expected 4/);
  });
});

describe('write', () => {
  it('overwrites a slice after the recorded work that reads it', async () => {
    const g = await gpu();
    for (const be of [g, cpu] as Backend[]) {
      const s = be.upload(Float32Array.of(1, 2, 3, 4, 5));
      const before = be.unary('scale', s, 2);
      be.write(s, 1, [9, 8]);
      const [a, b] = await be.readMany([before, s]);
      expect(Array.from(a)).toEqual([2, 4, 6, 8, 10]);
      expect(Array.from(b)).toEqual([1, 9, 8, 4, 5]);
      expect(() => be.write(s, 4, [1, 2])).toThrow(/do not fit a buffer of 5/);
    }
  });
});
