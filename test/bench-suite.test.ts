// The benchmark suite's plumbing (no timings are asserted): `shadergrad bench` prints one JSON report in the
// documented shape, an unknown group is a usage error, ratios pair rows by kernel and shape, and the book-network
// step it times records a fixed number of dispatches, never reads back, and trains the same with the dense and the
// sparse first layer. The CPU path's rows (train-step, train-step-12task, population) carry backend and threads,
// pair with PyTorch at each thread count and with the WebGPU row, and the CPU path trains the suite's networks like
// WebGPU does.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { ratios, type BenchReport, type BenchResult } from '../src/perf/result.ts';
import { selectGroups } from '../src/perf/suite.ts';
import { formatSummary, resultLine } from '../src/perf/table.ts';
import { benchCpuStep, bookData, bookPopulation, STEPS_PER_EPOCH, TASK12_NET } from '../src/perf/train-step.ts';
import { gpu } from './helpers/backends.ts';
import { runCli } from './helpers/cli.ts';

const cli = (args: string[]) => runCli(args, { timeout: 120_000, maxBuffer: 16 << 20 });

describe('shadergrad bench', () => {
  it('--filter dispatch --json prints the report (and --out writes the same)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'shadergrad-bench-')), 'bench.json');
    const r = await cli(['bench', '--filter', 'dispatch', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as BenchReport;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(rep);
    expect(rep.adapter.name.length).toBeGreaterThan(0);
    expect(rep.results.map((x) => x.kernel)).toEqual(['dispatch (tiny)', 'submit + wait (empty)', 'dispatch + readback']);
    for (const x of rep.results) {
      expect(x.impl).toBe('shadergrad');
      expect(x.usPerDispatch).toBeGreaterThan(0);
      expect(x.ms.min).toBeLessThanOrEqual(x.ms.median);
      expect(x.ms.median).toBeLessThanOrEqual(x.ms.max);
    }
    expect(rep.peers).toEqual([]);
    // Progress went to stderr, so stdout is the JSON alone.
    expect(r.stderr).toContain('dispatch (tiny)');
  });

  it('an unknown group is a usage error naming the groups', async () => {
    const r = await cli(['bench', '--filter', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no benchmark group matches "nope"; groups: matmul, matmul-study/);
  });

  it('filters pick whole groups by name, or every group containing a fragment', () => {
    expect(selectGroups(['matmul'])).toEqual(['matmul']);
    expect(selectGroups(['mat'])).toEqual(['matmul', 'matmul-study', 'matmul-kernels']);
    expect(selectGroups(['train-step', 'sparse'])).toEqual(['sparse', 'train-step']);
    expect(selectGroups(['train-step-12task'])).toEqual(['train-step-12task']);
    expect(selectGroups(['train'])).toEqual(['train-step', 'train-step-12task']);
  });

  it('a training step pairs the CPU row with the CPU peers at each thread count and with the WebGPU row; the WebGPU row with every peer', () => {
    const row = (impl: string, median: number, backend: 'cpu' | 'webgpu', threads: number | null): BenchResult => ({
      kernel: 'train-step', shape: 's', impl, backend, threads, msPerStep: median, ms: { median, min: median, max: median }, runs: 1,
    });
    const rows = [row('shadergrad', 10, 'webgpu', null), row('shadergrad:dense', 12, 'webgpu', null), row('shadergrad', 0.5, 'cpu', 1), row('tfjs-webgpu', 20, 'webgpu', null), row('pytorch-cpu', 1.5, 'cpu', 1), row('pytorch-cpu', 1, 'cpu', 2)];
    const got = ratios(rows).map((q) => `${q.backend}/${q.threads} vs ${q.peer} ${q.peerBackend}/${q.peerThreads}: ${q.speedup}`);
    expect(got).toEqual([
      'webgpu/null vs shadergrad:dense webgpu/null: 1.2',
      'webgpu/null vs tfjs-webgpu webgpu/null: 2',
      'webgpu/null vs pytorch-cpu cpu/1: 0.15',
      'webgpu/null vs pytorch-cpu cpu/2: 0.1',
      'cpu/1 vs shadergrad webgpu/null: 20',
      'cpu/1 vs pytorch-cpu cpu/1: 3',
      'cpu/1 vs pytorch-cpu cpu/2: 2',
    ]);
    // The table names where each row ran.
    expect(resultLine(rows[2])).toContain('shadergrad (cpu, 1 thread)');
    expect(resultLine(rows[5])).toContain('pytorch-cpu (cpu, 2 threads)');
    const summary = formatSummary({ adapter: { name: 'x' } as BenchReport['adapter'], command: 'c', host: { platform: 'p', cores: 2, runtime: 'r' }, seconds: 1, peers: [], results: rows, ratios: ratios(rows) });
    expect(summary).toMatch(/cpu, 1 thread\s+pytorch-cpu \(cpu, 2 threads\)\s+2\.00×/);
  });

  it('a CPU-path row carries kernel, impl, backend, threads and msPerStep', async () => {
    const r = await benchCpuStep({ ...TASK12_NET, rows: 200 }, 'train-step-12task', { epochs: 1, warmup: 0 });
    expect(r).toMatchObject({ kernel: 'train-step-12task', shape: 'batch 50, 1024→500→12', impl: 'shadergrad', backend: 'cpu', threads: 1 });
    expect(r.msPerStep).toBeGreaterThan(0);
    const two = await benchCpuStep({ ...TASK12_NET, rows: 200 }, 'train-step-12task', { epochs: 1, warmup: 0, threads: 2 });
    expect(two).toMatchObject({ kernel: 'train-step-12task', backend: 'cpu', threads: 2 });
    expect(two.note).toContain('2 threads');
  });

  it('speedups pair each other row with shadergrad for the same kernel and shape', () => {
    const row = (impl: string, median: number, readback?: number): BenchResult => ({
      kernel: 'matmul', shape: '8x8x8', impl, ms: { median, min: median, max: median }, runs: 1,
      ...(readback ? { readbackMs: { median: readback, min: readback, max: readback } } : {}),
    });
    expect(ratios([row('shadergrad', 2, 4), row('tfjs-webgpu', 10, 8), row('shadergrad:tiled', 6)])).toEqual([
      { kernel: 'matmul', shape: '8x8x8', peer: 'tfjs-webgpu', speedup: 5, speedupWithReadback: 2 },
      { kernel: 'matmul', shape: '8x8x8', peer: 'shadergrad:tiled', speedup: 3 },
    ]);
  });
});

describe('the book-network step the suite times', () => {
  it('records 10 dispatches per step (11 with the dense first layer) and one readback per epoch, and the sparse first layer trains like the dense one', async () => {
    const g = await gpu();
    const data = bookData();
    const losses: number[] = [];
    for (const sparse of [false, true]) {
      const t = bookPopulation(g, data, 1, sparse);
      const c0 = { ...g.rt.counters };
      losses.push((await t.epoch())[0]);
      const c1 = { ...g.rt.counters };
      // Forward: first layer (bias, relu), dropout, logits, the loss with its gradient and running sum. Backward: the
      // logits' weight and bias gradients, dh, relu+dropout, the first layer's weight and bias gradients (one dispatch
      // when sparse). One Adam dispatch for all four parameters.
      expect(c1.dispatches - c0.dispatches).toBe((sparse ? 10 : 11) * STEPS_PER_EPOCH);
      expect(c1.readbacks - c0.readbacks).toBe(1);
      t.dispose();
    }
    // Same weights, same dropout masks, same batches: the two epochs' losses agree to float rounding.
    expect(Number.isFinite(losses[0])).toBe(true);
    expect(Math.abs(losses[0] - losses[1])).toBeLessThan(1e-3 * Math.abs(losses[0]));
  });

  it('the CPU path trains the book network and the 12-task network as WebGPU does (same init, masks and batches)', async () => {
    const g = await gpu();
    for (const net of [undefined, { ...TASK12_NET, rows: 400 }]) {
      const data = bookData(1, net);
      const losses: number[] = [];
      for (const be of [g, new CpuBackend('f32')]) {
        const t = bookPopulation(be, data, 2, true, net);
        losses.push(...(await t.epoch()));
        t.dispose();
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      for (let m = 0; m < 2; m++) expect(Math.abs(losses[m] - losses[m + 2]), `model ${m}`).toBeLessThan(1e-3 * Math.abs(losses[m]));
    }
  });

  it('a population of 4 records as many dispatches per step as one model, or one more where the optimizer splits its step', async () => {
    const g = await gpu();
    const data = bookData();
    for (const split of [false, true]) {
      g.optimSplitOverride = split;
      const counts: number[] = [];
      for (const models of [1, 4]) {
        const t = bookPopulation(g, data, models, true);
        const c0 = g.rt.counters.dispatches;
        const loss = await t.epoch();
        counts.push(g.rt.counters.dispatches - c0);
        expect(loss.length).toBe(models);
        expect(Array.from(loss).every(Number.isFinite)).toBe(true);
        t.dispose();
      }
      // Split: the one-output bias and the 50-wide tensors take the per-lane pipeline, W1 the other.
      expect(counts[1]).toBe(counts[0] + (split ? STEPS_PER_EPOCH : 0));
    }
    g.optimSplitOverride = null;
  });
});
