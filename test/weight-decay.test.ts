// L2 weight decay in the per-model optimizer step (ModelOptimSpec.weightDecay): model m's gradient becomes
// g + λ[m]·p before the step, as torch.optim's weight_decay. shaders/optim-models.wgsl (every entry: scalar, vec4,
// arena segments with and without per-lane models) and the CPU backend against a float64 reference written here.
import { describe, expect, it } from 'vitest';
import type { Backend, ModelOptimSpec } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { cpu, expectClose, gpu, rand } from './helpers/backends.ts';

type Kind = ModelOptimSpec['kind'];
interface State { p: Float64Array; m: Float64Array; v: Float64Array }

/** Float64 reference: `steps` steps over [models, per] slices laid out by `slices` (offset, per) in flat buffers. */
function reference(kind: Kind, s0: State, grads: Float64Array[], slices: { offset: number; per: number }[], spec: Omit<ModelOptimSpec, 'kind'>): State {
  const { p, m, v } = { p: Float64Array.from(s0.p), m: Float64Array.from(s0.m), v: Float64Array.from(s0.v) };
  grads.forEach((g, step) => {
    for (const { offset, per } of slices) {
      for (let k = 0; k < spec.models; k++) {
        const t = spec.t[k] ? spec.t[k] + step : 0;
        if (t === 0) continue;
        const lr = spec.lr[k], lambda = spec.weightDecay?.[k] ?? 0;
        for (let i = offset + k * per; i < offset + (k + 1) * per; i++) {
          const gi = g[i] + lambda * p[i];
          if (kind === 'sgd') p[i] -= lr * gi;
          else if (kind === 'momentum') {
            m[i] = spec.beta1 * m[i] + gi;
            p[i] -= lr * m[i];
          } else {
            m[i] = spec.beta1 * m[i] + (1 - spec.beta1) * gi;
            v[i] = spec.beta2 * v[i] + (1 - spec.beta2) * gi * gi;
            p[i] -= (lr * (m[i] / (1 - spec.beta1 ** t))) / (Math.sqrt(v[i] / (1 - spec.beta2 ** t)) + spec.eps);
          }
        }
      }
    }
  });
  return { p, m, v };
}

function specFor(models: number, lambdas: number[]): Omit<ModelOptimSpec, 'kind'> {
  return {
    models, beta1: 0.9, beta2: 0.999, eps: 1e-8,
    lr: Array.from({ length: models }, (_, i) => [0.1, 0.03, 0.01][i % 3]),
    // Model 1 is frozen (when there are several): with λ > 0 it must still not move.
    t: Array.from({ length: models }, (_, i) => (models > 1 && i === 1 ? 0 : 1 + 2 * i)),
    weightDecay: lambdas.slice(0, models),
  };
}

const LAMBDAS = [0, 0.5, 0.3, 1e-4, 0.05, 2];
const STEPS = 3;
const TOL = { atol: 2e-6, rtol: 2e-5 };

/**
 * Runs STEPS steps on `be` and returns p, m, v. Without `lengths` the buffers are one [models, per] tensor. With
 * `lengths`, the tensors of those lengths (packed back to back in the inputs) live in arenas laid out as `be` lays
 * them (the GPU aligns views to 256 bytes, the CPU to 16) and one dispatch per step updates them all.
 */
async function run(be: Backend, kind: Kind, s0: State, grads: Float64Array[], spec: ModelOptimSpec, lengths?: number[]): Promise<Float64Array[]> {
  const packedAt = lengths ? lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0)) : [];
  const alloc = (data: Float64Array) => {
    if (!lengths) return be.upload(Float32Array.from(data));
    const a = be.arena(lengths);
    a.views.forEach((view, i) => be.write(view, 0, Float32Array.from(data.subarray(packedAt[i], packedAt[i] + lengths[i]))));
    return a.whole;
  };
  const layout = lengths ? be.arenaLayout(be.arena(lengths).views)! : null;
  const segments = layout ? lengths!.map((length, i) => ({ offset: layout.offsets[i], length })) : undefined;
  if (layout) be.release(layout.whole);
  const [p, m, v] = [s0.p, s0.m, s0.v].map(alloc);
  for (const [step, g] of grads.entries()) {
    const gs = alloc(g);
    be.optimModels(p, gs, kind === 'sgd' ? null : m, kind === 'adam' ? v : null, { ...spec, t: Array.from(spec.t, (t) => (t ? t + step : 0)), ...(segments ? { segments } : {}) });
    be.release(gs);
  }
  const read = await be.readMany([p, m, v]);
  [p, m, v].forEach((x) => be.release(x));
  if (!segments) return read.map((x) => Float64Array.from(x));
  return read.map((x) => Float64Array.from(segments.flatMap((sg) => Array.from(x.subarray(sg.offset, sg.offset + sg.length)))));
}

function inputs(total: number, seed: number): { s0: State; grads: Float64Array[] } {
  const f = (n: number, lo: number, hi: number) => Float64Array.from(rand(total, seed + n, lo, hi));
  return { s0: { p: f(1, -1, 1), m: f(2, -1, 1), v: f(3, 0.1, 1) }, grads: Array.from({ length: STEPS }, (_, k) => f(10 + k, -1, 1)) };
}

const KINDS: Kind[] = ['sgd', 'momentum', 'adam'];

describe('weight decay, one tensor per dispatch', () => {
  // Slices of 7 and 1 take the scalar entries, 12 and 1032 the vec4 ones.
  const shapes: [number, number][] = [[3, 7], [5, 1], [4, 12], [1, 1032], [6, 13]];
  it.each(KINDS.flatMap((k) => shapes.map(([models, per]) => [k, models, per] as const)))('%s, %i models × %i: GPU and CPU equal the float64 reference', async (kind, models, per) => {
    const total = models * per;
    const { s0, grads } = inputs(total, models * 100 + per);
    const spec = { kind, ...specFor(models, models === 1 ? [0.2] : LAMBDAS) };
    const want = reference(kind, s0, grads, [{ offset: 0, per }], spec);
    for (const be of [await gpu(), cpu, new CpuBackend('f64')] as Backend[]) {
      const [p, m, v] = await run(be, kind, s0, grads, spec);
      const tol = be instanceof CpuBackend && be.dtype === 'f64' ? { atol: 1e-12, rtol: 1e-12 } : TOL;
      expectClose(p, want.p, tol, `${be.kind} ${kind} p`);
      if (kind !== 'sgd') expectClose(m, want.m, tol, `${be.kind} ${kind} m`);
      if (kind === 'adam') expectClose(v, want.v, tol, `${be.kind} ${kind} v`);
      if (models > 1) for (let i = per; i < 2 * per; i++) expect(p[i]).toBe(Math.fround(s0.p[i]));
    }
  });
});

describe('weight decay, every tensor of a population in one arena dispatch', () => {
  // Per-model slices: 13 (odd), 1 (a one-output bias: per-lane models), 64 and 50; 3 and 6 models; one model of a
  // large first layer. Split or not, the lane pipeline and the one-lookup pipeline both decay.
  const layouts: [number, number[]][] = [[3, [13, 1, 64, 50]], [6, [4, 1, 8, 3]], [1, [2048, 50, 50, 1]]];
  it.each(KINDS.flatMap((k) => layouts.map(([models, per]) => [k, models, per.join('/')] as const)))('%s, %i models, slices %s', async (kind, models, perText) => {
    const per = perText.split('/').map(Number);
    const lengths = per.map((n) => n * models);
    const total = lengths.reduce((a, b) => a + b, 0);
    const { s0, grads } = inputs(total, 7 + models);
    const spec = { kind, ...specFor(models, models === 1 ? [0.7] : LAMBDAS) };
    const want = reference(kind, s0, grads, per.map((n, i) => ({ offset: lengths.slice(0, i).reduce((a, b) => a + b, 0), per: n })), spec);
    const g = (await gpu()) as WebGpuBackend;
    for (const [be, split] of [[g, false], [g, true], [cpu, null]] as [Backend, boolean | null][]) {
      if (be === g) g.optimSplitOverride = split;
      const got = await run(be, kind, s0, grads, spec, lengths);
      expectClose(got[0], want.p, TOL, `${be.kind} split ${split} p`);
      if (kind !== 'sgd') expectClose(got[1], want.m, TOL, `${be.kind} split ${split} m`);
      if (kind === 'adam') expectClose(got[2], want.v, TOL, `${be.kind} split ${split} v`);
    }
    g.optimSplitOverride = null;
  });
});

describe('weight decay is a real term and λ = 0 is none', () => {
  it('λ = 0 for every model gives the undecayed step bit for bit; λ > 0 moves weights toward 0', async () => {
    const g = await gpu();
    const models = 3, per = 9, total = models * per;
    const { s0, grads } = inputs(total, 5);
    const base = { kind: 'adam' as const, ...specFor(models, [0, 0, 0]) };
    const none = await run(g, 'adam', s0, grads, { ...base, weightDecay: undefined });
    const zeros = await run(g, 'adam', s0, grads, base);
    expect(Array.from(zeros[0])).toEqual(Array.from(none[0]));
    // SGD with a zero gradient: p ← p·(1 − lr·λ) each step, so |p| shrinks by exactly that factor.
    const zero = { s0: { ...s0 }, grads: grads.map((x) => new Float64Array(x.length)) };
    const sgd = { kind: 'sgd' as const, ...specFor(models, [0.5, 0.5, 2]) };
    const [p] = await run(g, 'sgd', zero.s0, zero.grads, sgd);
    for (let i = 0; i < total; i++) {
      const k = Math.floor(i / per);
      const factor = k === 1 ? 1 : (1 - sgd.lr[k] * sgd.weightDecay![k]) ** STEPS;
      expect(p[i]).toBeCloseTo(s0.p[i] * factor, 6);
    }
  });

  it('names a bad λ on both backends', async () => {
    for (const be of [await gpu(), cpu] as Backend[]) {
      const p = be.upload(new Float32Array(4)), gr = be.upload(new Float32Array(4));
      const spec = { kind: 'sgd' as const, models: 2, lr: [1, 1], t: [1, 1], beta1: 0, beta2: 0, eps: 0 };
      expect(() => be.optimModels(p, gr, null, null, { ...spec, weightDecay: [0.1] })).toThrow('1 weight decays for 2 models');
      expect(() => be.optimModels(p, gr, null, null, { ...spec, weightDecay: [0.1, -1] })).toThrow('weight decay of model 1 must be a finite number ≥ 0, got -1');
      expect(() => be.optimModels(p, gr, null, null, { ...spec, weightDecay: [Number.NaN, 0] })).toThrow('weight decay of model 0');
    }
  });
});
