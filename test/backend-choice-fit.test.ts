// chooseBackend checks each candidate against its buffer limits before timing it: a network a software adapter
// cannot hold trains on the CPU with that reason and nothing timed; one that fits neither is a one-line RangeError
// naming both limits (before, the timing itself allocated it and died with a stack trace).
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { chooseBackend } from '../src/train/choose-backend.ts';
import type { NetworkShape } from '../src/train/step-timer.ts';

/** The CPU backend dressed as a software adapter whose largest storage buffer is `maxStorageBytes`. */
function swiftShader(maxStorageBytes: number): Backend {
  const be = new CpuBackend('f32');
  return Object.assign(be, {
    kind: 'webgpu', rt: { maxStorageBytes }, info: { ...be.info, vendor: 'test', description: 'SwiftShader Device (Subzero)', software: true, runtime: 'node-dawn' },
  }) as unknown as Backend;
}

describe('chooseBackend and networks too large', () => {
  const timed: string[] = [];
  const timeStep = async (be: Backend) => (timed.push(be.kind), 1);

  it('a network the adapter cannot hold trains on the CPU, untimed, and says why', async () => {
    const net: NetworkShape = { inputs: 1024, hidden: 300, layers: 1, outputs: 1, batch: 50 }; // W1: 1.2 MB
    const r = await chooseBackend({ network: net, cacheDir: null, timeStep, openWebGpu: async () => swiftShader(2 ** 20) });
    expect(r.be.kind).toBe('cpu');
    expect(r.choice.chosen).toBe('measured');
    expect(r.choice.msPerStep).toBeUndefined();
    expect(r.choice.reason).toMatch(/^the network does not fit .*network too large: W1 is 1024 × 300 floats.*: training on the CPU$/);
    expect(timed).toEqual([]);
    // A network both hold is timed as before.
    const small = await chooseBackend({ network: { ...net, hidden: 8 }, cacheDir: null, timeStep, openWebGpu: async () => swiftShader(2 ** 20) });
    expect(small.choice.msPerStep).toEqual({ webgpu: 1, cpu: 1 });
    expect(timed.sort()).toEqual(['cpu', 'webgpu']);
  });

  it('a network neither backend can hold is one RangeError naming both, with nothing timed', async () => {
    timed.length = 0;
    const net: NetworkShape = { inputs: 1024, hidden: 2 ** 22, layers: 1, outputs: 1, batch: 50 }; // 2^32 floats
    const e = await chooseBackend({ network: net, cacheDir: null, timeStep, openWebGpu: async () => swiftShader(2 ** 20) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toMatch(/^the network fits neither backend: .*: network too large.*; CPU: network too large.*typed array/);
    expect((e as Error).message).not.toContain('\n');
    expect(timed).toEqual([]);
  });
});
