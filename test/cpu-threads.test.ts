// The float32 CPU path's helper thread (src/backend/cpu/heap-threads.ts): training the 12-task network (1,024 → 500
// ReLU → 12, batch 50, Adam) on 2 threads gives the same parameters and losses, bit for bit, as on 1 — with the
// helper really taking ranges — and the decision to run on one thread where a browser cannot share memory.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { threadSupport } from '../src/backend/cpu/heap-threads.ts';
import { TASK12_NET, bookData, bookPopulation } from '../src/perf/train-step.ts';

describe('CPU backend threads', () => {
  it('1 and 2 threads train the 12-task network to identical parameters and losses over 3 epochs', async () => {
    const net = { ...TASK12_NET, rows: 230 }; // 5 steps per epoch, the last one short
    const data = bookData(3, net);
    const runs: { losses: number[]; params: (Float32Array | Float64Array)[]; jobs: number }[] = [];
    for (const threads of [1, 2]) {
      const cpu = new CpuBackend('f32', { threads });
      expect(cpu.threads).toBe(threads);
      expect(await cpu.threadsReady()).toBe(true);
      const pop = bookPopulation(cpu, data, 1, true, net);
      const losses: number[] = [];
      for (let e = 0; e < 3; e++) losses.push(...(await pop.epoch()));
      runs.push({ losses, params: await pop.parameters(), jobs: cpu.helperJobs });
      pop.dispose();
      cpu.dispose();
    }
    const [one, two] = runs;
    expect(one.jobs).toBe(0);
    expect(two.jobs).toBeGreaterThan(0); // Adam over 518k parameters and the 1,024-row weight gradient were split
    expect(two.losses).toEqual(one.losses);
    expect(two.params.length).toBe(one.params.length);
    two.params.forEach((p, i) => expect(Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(one.params[i].buffer, one.params[i].byteOffset, one.params[i].byteLength)), `parameter ${i}`).toBe(true));
  }, 120_000);

  it('falls back to one thread, and says why, where a page cannot share memory', () => {
    const W = function Worker() {};
    const SAB = function SharedArrayBuffer() {};
    expect(threadSupport({ Worker: W }).ok).toBe(false);
    expect(threadSupport({ Worker: W }).reason).toMatch(/SharedArrayBuffer.*one thread/);
    const notIsolated = threadSupport({ SharedArrayBuffer: SAB, Worker: W, crossOriginIsolated: false });
    expect(notIsolated.ok).toBe(false);
    expect(notIsolated.reason).toMatch(/cross-origin isolated.*one thread/);
    expect(threadSupport({ SharedArrayBuffer: SAB, crossOriginIsolated: true }).ok).toBe(false);
    expect(threadSupport({ SharedArrayBuffer: SAB, Worker: W, crossOriginIsolated: true })).toEqual({ ok: true, reason: 'Web Workers over shared memory' });
    expect(threadSupport({ SharedArrayBuffer: SAB, process: { versions: { node: '20.0.0' } } }).ok).toBe(false);
    expect(threadSupport().ok).toBe(true); // this Node
  });

  it('reports one thread where two were asked but cannot be had, and rejects a bad count', () => {
    const f64 = new CpuBackend('f64', { threads: 2 });
    expect(f64.threads).toBe(1);
    expect(f64.threadNote).toMatch(/asked for 2/);
    expect(() => new CpuBackend('f32', { threads: 0 })).toThrow(/threads must be an integer ≥ 1, got 0/);
  });
});
