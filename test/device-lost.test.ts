// A lost GPU device (driver reset, background tab, device.destroy()) must stop the next operation with an error that
// says so and why, reject reads pending at that moment with it, and leave a way on: a fresh backend that trains. A
// disposed backend refuses work with its own error. Each test makes its own backends: the shared one must live on.
import { describe, expect, it } from 'vitest';
import { sigmoidCrossEntropy } from '../src/autograd/ops.ts';
import { tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { recreateBackend } from '../src/backend/create.ts';
import { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { requestGpu } from '../src/gpu/device.ts';
import { GpuRuntime } from '../src/gpu/runtime.ts';
import { loadShadersFromDisk } from '../src/gpu/shader-source.ts';
import { BackendDisposedError, DeviceLostError, GpuError, isDeviceLost } from '../src/gpu/errors.ts';
import { Mlp } from '../src/nn/mlp.ts';
import { Adam } from '../src/optim/optimizer.ts';
import { expectClose, rand } from './helpers/backends.ts';

const N = 16, D = 5;
const LOST = /^the GPU device was lost \(destroyed: device\.destroy\(\) was called\); its buffers are gone, make a new backend to go on$/;

/** An Mlp with Adam on fixed data; `step()` records one training step and returns its loss tensor (not read). */
function trainer(be: Backend) {
  const X = Tensor.from(be, rand(N * D, 1), [N, D]);
  const y = Tensor.from(be, Float32Array.from({ length: N }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [N, 1]);
  const w = Tensor.from(be, new Float32Array(N).fill(1), [N, 1]);
  const net = new Mlp(be, { inputs: D, nHidden: 8, nLayers: 2, outputs: 1, activation: 'relu', seed: 4 }).train();
  const opt = new Adam(net.parameters(), { lr: 0.02 });
  const step = () => tidy(() => {
    opt.zeroGrad();
    const loss = sigmoidCrossEntropy(net.forward(X), y, w, 'mean');
    loss.backward();
    opt.step();
    return loss;
  });
  return { step, X };
}

async function losses(be: Backend, steps: number): Promise<number[]> {
  const { step } = trainer(be);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const l = step();
    out.push((await l.data())[0]);
    l.dispose();
  }
  return out;
}

/** What `fn` threw or rejected with (fails when it did neither). */
async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  expect.fail('expected an error');
}

function expectLost(e: unknown, reason = 'destroyed'): void {
  expect(e).toBeInstanceOf(DeviceLostError);
  expect(e).toBeInstanceOf(GpuError);
  expect(isDeviceLost(e)).toBe(true);
  expect((e as DeviceLostError).reason).toBe(reason);
  expect((e as Error).message).toMatch(/^the GPU device was lost \(/);
}

describe('a lost device', () => {
  it('after device.destroy() mid-training the next step throws DeviceLostError naming why, at once', async () => {
    const be = await WebGpuBackend.create();
    const { step } = trainer(be);
    for (let i = 0; i < 3; i++) step().dispose();
    const before = step();
    expect(Number.isFinite((await before.data())[0])).toBe(true);
    before.dispose();
    be.rt.device.destroy(); // as a driver reset or a background tab would, without awaiting anything
    const e = await caught(() => step());
    expectLost(e);
    expect((e as Error).message).toMatch(LOST);
    expect(be.rt.loss).toEqual({ reason: 'destroyed', detail: 'device.destroy() was called' });
    be.dispose();
  });

  it('every kind of operation throws it: kernel, upload, zeros, scalar, flush, read, write', async () => {
    const be = await WebGpuBackend.create();
    const a = be.upload(rand(10, 2));
    const m = be.upload(rand(10, 3));
    be.rt.device.destroy();
    const ops: [string, () => unknown][] = [
      ['unary', () => be.unary('relu', a)],
      ['matmul', () => be.matmul(a, m, { batch: 1, m: 2, k: 5, n: 2 })],
      ['adam', () => be.adam(a, m, m, m, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 1 })],
      ['upload', () => be.upload([1, 2, 3])],
      ['zeros', () => be.zeros(4)],
      ['scalar', () => be.scalar(1234.5)],
      ['flush', () => be.flush()],
      ['write', () => be.write(a, 0, [1])],
      ['read', () => be.read(a)],
      ['readMany', () => be.readMany([a, m])],
    ];
    for (const [name, op] of ops) {
      const e = await caught(op);
      expect(e, name).toBeInstanceOf(DeviceLostError);
      expect((e as Error).message, name).toMatch(LOST);
    }
    // Tidy-up code keeps working: releasing into a lost device's pool is bookkeeping only.
    expect(() => be.release(a)).not.toThrow();
    be.dispose();
  });

  it('a read pending when the device is destroyed rejects with DeviceLostError, not an empty AbortError', async () => {
    const be = await WebGpuBackend.create();
    const { step } = trainer(be);
    for (let i = 0; i < 3; i++) step().dispose();
    const loss = step();
    const pending = loss.data();
    be.rt.device.destroy();
    const e = await caught(() => pending);
    expectLost(e);
    expect((e as Error).message).toMatch(LOST);
    be.dispose();
  });

  it('a loss reported only through device.lost (as a driver reset is) fails the pending read and every later op', async () => {
    const be = await WebGpuBackend.create();
    const { step } = trainer(be);
    step().dispose();
    const pending = step().data();
    // The prototype's destroy bypasses the runtime's watch on this device's destroy(): only `device.lost` tells.
    Object.getPrototypeOf(be.rt.device).destroy.call(be.rt.device);
    const e = await caught(() => pending);
    expectLost(e);
    expect((e as DeviceLostError).detail.length).toBeGreaterThan(0);
    expectLost(await caught(() => step()));
    expectLost(await caught(() => be.upload([1])));
    be.dispose();
  });

  it('a read whose map fails before device.lost resolves (a browser may order them so) still rejects with DeviceLostError', async () => {
    await loadShadersFromDisk();
    const ctx = await requestGpu();
    const real = ctx.device;
    // The device as the runtime sees it, with its `lost` promise resolving 50 ms after the real one.
    const late = real.lost.then((info) => new Promise<GPUDeviceLostInfo>((r) => setTimeout(() => r(info), 50)));
    const device = new Proxy(real, {
      get: (t, k) => {
        if (k === 'lost') return late;
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
      set: (t, k, v) => Reflect.set(t, k, v),
    });
    const be = new WebGpuBackend(new GpuRuntime({ ...ctx, device }));
    const pending = be.read(be.unary('neg', be.upload([1, 2, 3])));
    Object.getPrototypeOf(real).destroy.call(real); // past the runtime's watch on destroy(): only `lost` tells
    const e = await caught(() => pending);
    expectLost(e);
    expect((e as DeviceLostError).detail.length).toBeGreaterThan(0);
    be.dispose();
  });

  it('isDeviceLost knows the error, also by name after a worker boundary, and nothing else', () => {
    expect(isDeviceLost(new DeviceLostError('unknown', ''))).toBe(true);
    expect(new DeviceLostError('unknown', '').message).toBe('the GPU device was lost (unknown: no message from the driver); its buffers are gone, make a new backend to go on');
    expect(isDeviceLost(structuredClone({ name: 'DeviceLostError', message: 'x' }))).toBe(true);
    expect(isDeviceLost(new Error('device lost'))).toBe(false);
    expect(isDeviceLost(new DOMException('', 'AbortError'))).toBe(false);
    expect(isDeviceLost(new BackendDisposedError('webgpu', 'read'))).toBe(false);
    expect(isDeviceLost(null)).toBe(false);
    expect(isDeviceLost('DeviceLostError')).toBe(false);
  });

  it('a fresh backend after the loss trains exactly as a backend that never lost one', async () => {
    const lost = await WebGpuBackend.create();
    lost.reduceOverride = 'software';
    const { step } = trainer(lost);
    step().dispose();
    lost.rt.device.destroy();
    expectLost(await caught(() => step()));
    const fresh = await recreateBackend(lost);
    lost.dispose();
    expect(fresh).toBeInstanceOf(WebGpuBackend);
    expect(fresh).not.toBe(lost);
    expect((fresh as WebGpuBackend).reduceOverride).toBe('software');
    const got = await losses(fresh, 12);
    const want = await losses(new CpuBackend('f32'), 12);
    expectClose(got, want, { atol: 1e-5, rtol: 1e-4 }, 'losses after the loss vs the CPU oracle');
    expect(got.at(-1)!).toBeLessThan(got[0]); // it learns
    fresh.dispose();
  });
});

describe('dispose()', () => {
  it('on WebGPU: twice is fine; later ops throw the disposed error; releases after it are harmless', async () => {
    const be = await WebGpuBackend.create();
    const a = be.upload(rand(8, 5));
    const pending = be.read(be.unary('relu', a));
    be.dispose();
    be.dispose();
    const p = await caught(() => pending);
    expect(p).toBeInstanceOf(BackendDisposedError);
    expect((p as Error).message).toBe('read: the webgpu backend was disposed (dispose() was called); make a new backend');
    for (const [name, op] of [
      ['upload', () => be.upload([1])], ['unary', () => be.unary('relu', a)], ['scalar', () => be.scalar(2)],
      ['flush', () => be.flush()], ['read', () => be.read(a)],
    ] as [string, () => unknown][]) {
      const e = await caught(op);
      expect(e, name).toBeInstanceOf(BackendDisposedError);
      expect((e as Error).message, name).toMatch(/: the webgpu backend was disposed \(dispose\(\) was called\); make a new backend$/);
    }
    expect(() => be.release(a)).not.toThrow();
  });

  it('on a lost device: fine, and later ops say disposed', async () => {
    const be = await WebGpuBackend.create();
    be.rt.device.destroy();
    be.dispose();
    be.dispose();
    expect(await caught(() => be.upload([1]))).toBeInstanceOf(BackendDisposedError);
  });

  it('on the CPU: twice is fine; later ops throw the disposed error; releases after it are harmless', async () => {
    const be = new CpuBackend('f32');
    const a = be.upload([1, -2, 3]);
    be.dispose();
    be.dispose();
    expect(() => be.unary('relu', a)).toThrow('relu: the cpu backend was disposed (dispose() was called); make a new backend');
    expect(() => be.upload([1])).toThrow(BackendDisposedError);
    expect(() => be.unary('neg', be.scalar(3))).toThrow(BackendDisposedError);
    await expect(be.read(a)).rejects.toThrow(BackendDisposedError);
    expect(() => be.release(a)).not.toThrow();
    const fresh = await recreateBackend(be);
    expect(Array.from(await fresh.read(fresh.unary('relu', fresh.upload([1, -2, 3]))))).toEqual([1, 0, 3]);
  });
});
