/**
 * One WebGPU backend per test worker (Dawn on SwiftShader here), the CPU oracle, seeded inputs, and `twin`: run a
 * kernel on both backends and compare with explicit tolerances — adding a kernel test is one line.
 */
import { expect } from 'vitest';
import type { Backend, Storage } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.ts';
import { WebGpuBackend } from '../../src/backend/webgpu/webgpu-backend.ts';
import { Rng } from '../../src/random/rng.ts';

let gpuPromise: Promise<WebGpuBackend> | null = null;
export function gpu(): Promise<WebGpuBackend> {
  gpuPromise ??= WebGpuBackend.create();
  return gpuPromise;
}

export const cpu = new CpuBackend('f32');

export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r.float());
}

export interface Tol {
  atol: number;
  rtol: number;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${tol.atol}, rtol ${tol.rtol})`);
  }
}

/** Runs `op` on the GPU and the CPU oracle with the same inputs and compares the outputs. */
export async function twin(name: string, inputs: ArrayLike<number>[], op: (be: Backend, xs: Storage[]) => Storage, tol: Tol): Promise<Float32Array> {
  const g = await gpu();
  const results: ArrayLike<number>[] = [];
  for (const be of [g, cpu] as Backend[]) {
    const xs = inputs.map((x) => be.upload(x));
    const out = op(be, xs);
    results.push(await be.read(out));
    be.release(out);
    xs.forEach((x) => be.release(x));
  }
  expectClose(results[0], results[1], tol, name);
  return results[0] as Float32Array;
}
