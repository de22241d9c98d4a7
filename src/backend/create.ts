/** Picks a backend: WebGPU when an adapter exists, else (when allowed) the CPU backend, saying why. */
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';
import { WebGpuBackend } from './webgpu/webgpu-backend.ts';
import { NoAdapterError, type DeviceOptions } from '../gpu/device.ts';
import { DeviceLostError } from '../gpu/errors.ts';

export interface BackendOptions extends DeviceOptions {
  /** 'auto' falls back to the CPU when no adapter exists; 'webgpu' fails instead. */
  backend?: 'auto' | 'webgpu' | 'cpu';
  onFallback?: (reason: string) => void;
}

export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const kind = opts.backend ?? 'auto';
  if (kind === 'cpu') return new CpuBackend('f32');
  try {
    return await WebGpuBackend.create(opts);
  } catch (e) {
    if (kind === 'auto' && e instanceof NoAdapterError) {
      opts.onFallback?.(e.message);
      return new CpuBackend('f32');
    }
    throw e;
  }
}

/**
 * A new backend of the same kind and options as `be`: the way on after its device was lost (isDeviceLost). WebGPU
 * asks for a new adapter and device (NoAdapterError when none can be had); the CPU gives a new CpuBackend of the same
 * dtype. `be` is left as it is: dispose() it.
 */
export async function recreateBackend(be: Backend): Promise<Backend> {
  if (be instanceof WebGpuBackend) return be.recreate();
  if (be instanceof CpuBackend) return new CpuBackend(be.dtype);
  throw new TypeError(`recreateBackend: a ${be.kind} backend this function does not know`);
}

/**
 * `be` while its device lives; once it was lost, a new backend of the same kind (`be` is disposed) — what a search
 * calls before building on the backend again. When no new device can be had, a DeviceLostError that says so.
 */
export async function renewIfLost(be: Backend): Promise<Backend> {
  const loss = be instanceof WebGpuBackend ? be.rt.loss : null;
  if (!loss) return be;
  let fresh: Backend;
  try {
    fresh = await recreateBackend(be);
  } catch (e) {
    throw new DeviceLostError(loss.reason, loss.detail, `no new device could be had: ${(e as Error)?.message ?? String(e)}`);
  }
  be.dispose();
  return fresh;
}
