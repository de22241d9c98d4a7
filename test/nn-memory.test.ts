// A network too large for the backend is refused before any buffer is allocated, naming the buffer, its size and
// the limit (issue 16, point 4), with a `models` count so a population can be split into groups that fit.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { backendLimits, checkNetworkFits, estimateNetworkMemory, formatBytes } from '../src/nn/memory.ts';

const cpu = new CpuBackend('f32');
// The limits of a WebGPU device as the backend exposes them (rt.maxStorageBytes), without starting one.
const gpuLike = { kind: 'webgpu', rt: { maxStorageBytes: 2 ** 31 } } as unknown as Backend;

describe('network memory', () => {
  it("counts the book's network: weights, biases, Adam's slots and activations", () => {
    const e = estimateNetworkMemory({ inputs: 1024, hidden: 50, layers: 1, outputs: 1, batch: 100 });
    expect(e.buffers.map((b) => [b.name, b.dims])).toEqual([['W1', [1024, 50]], ['b1', [50]], ['W2', [50, 1]], ['b2', [1]], ['layer 1 activations', [100, 50]]]);
    expect(e.parameterFloats).toBe(1024 * 50 + 50 + 50 + 1);
    expect(e.largest.name).toBe('W1');
    // (weights + gradients + 2 Adam slots) + 4 × activations + 4 × outputs, in float32.
    expect(e.totalBytes).toBe(4 * (4 * 51301 + 4 * 5000 + 4 * 100));
    const pop = estimateNetworkMemory({ inputs: 1024, hidden: 50, layers: 1, outputs: 1, models: 8 });
    expect(pop.largest.dims).toEqual([8, 1024, 50]);
    expect(pop.totalBytes).toBe(8 * e.totalBytes);
  });

  it('refuses a layer larger than the adapter\'s largest buffer, naming its shape and size', () => {
    expect(() => checkNetworkFits(gpuLike, { inputs: 1024, hidden: 100_000_000, layers: 1, outputs: 1 })).toThrow(
      "network too large: W1 is 1024 × 100000000 floats = 381.5 GiB; this adapter's largest storage buffer (maxStorageBufferBindingSize, maxBufferSize) is 2 GiB; use fewer hidden units",
    );
    expect(() => checkNetworkFits(gpuLike, { inputs: 1024, hidden: 100_000, layers: 1, outputs: 1, models: 8 })).toThrow(
      'network too large (8 models at once): W1 is 8 × 1024 × 100000 floats = 3.1 GiB; this adapter\'s largest storage buffer (maxStorageBufferBindingSize, maxBufferSize) is 2 GiB; train fewer models at once',
    );
    expect(checkNetworkFits(gpuLike, { inputs: 1024, hidden: 100_000, layers: 1, outputs: 1 }).largest.bytes).toBe(409_600_000);
  });

  it('on the CPU, the largest typed array and a memory budget bound it', () => {
    expect(() => checkNetworkFits(cpu, { inputs: 300_000, hidden: 300_000, layers: 1, outputs: 1 })).toThrow(/W1 is 300000 × 300000 floats = 335\.3 GiB; the largest typed array/);
    const limits = backendLimits(cpu, 2 ** 30, "this machine's memory");
    expect(() => checkNetworkFits(cpu, { inputs: 1024, hidden: 100_000, layers: 1, outputs: 1 }, limits)).toThrow(
      /training needs about 1\.7 GiB \(weights, gradients, optimizer state and activations of 1 hidden layer\(s\) of 100000 units\); this machine's memory is 1 GiB/,
    );
    expect(checkNetworkFits(cpu, { inputs: 1024, hidden: 50, layers: 2, outputs: 12 }, limits).largest.name).toBe('W1');
  });

  it('rejects sizes that are not whole numbers', () => {
    expect(() => estimateNetworkMemory({ inputs: 1024, hidden: 1.5, layers: 1, outputs: 1 })).toThrow('network size: hidden must be an integer ≥ 1, got 1.5');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2 ** 31)).toBe('2 GiB');
  });
});
