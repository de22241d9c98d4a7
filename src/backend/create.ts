/** Picks a backend: WebGPU when an adapter exists, else (when allowed) the CPU backend, saying why. */
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';
import { WebGpuBackend } from './webgpu/webgpu-backend.ts';
import { NoAdapterError, type DeviceOptions } from '../gpu/device.ts';

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
