// The benchmark suite's plumbing (no timings are asserted): `shadergrad bench` prints one JSON report in the
// documented shape, an unknown group is a usage error, ratios pair rows by kernel and shape, and the book-network
// step it times records a fixed number of dispatches, never reads back, and trains the same with the dense and the
// sparse first layer.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ratios, type BenchReport, type BenchResult } from '../src/perf/result.ts';
import { selectGroups } from '../src/perf/suite.ts';
import { bookData, bookPopulation, STEPS_PER_EPOCH } from '../src/perf/train-step.ts';
import { gpu } from './helpers/backends.ts';

const root = join(import.meta.dirname, '..');
const run = promisify(execFile);

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'src/cli/main.ts'), ...args], { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

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
