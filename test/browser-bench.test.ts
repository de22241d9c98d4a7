/**
 * The bench page in headless Chromium, driven as `npm run bench:browser` drives it: bench/matmul.ts runs on the
 * browser's WebGPU adapter and the script gets back the same JSON rows the Node bench prints. Small shapes keep it
 * quick; the point is that the benchmark code runs unchanged in a browser and reports a sane measurement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserBench } from '../scripts/bench-browser.mjs';
import { startRig, type BrowserRig } from './helpers/browser.ts';

let rig: BrowserRig;

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  await rig?.close();
});

describe('matmul bench page in Chromium', () => {
  it('times src/perf/matmul.ts on the browser’s adapter and returns its JSON', async () => {
    const r = await runBrowserBench({ baseUrl: rig.url, shapes: '32x32x32,64x256x32', timeoutMs: 90_000 });
    expect(r.adapter).toMatchObject({ architecture: 'swiftshader', software: true, runtime: 'browser' });
    expect(r.userAgent).toContain('HeadlessChrome');
    expect(r.results.map((x) => x.shape)).toEqual(['32x32x32', '64x256x32']);
    for (const x of r.results) {
      expect(x).toMatchObject({ kernel: 'matmul', impl: 'shadergrad' });
      expect(x.gflops).toBeGreaterThan(0);
      expect(x.ms.min).toBeLessThanOrEqual(x.ms.median);
      expect(x.ms.median).toBeLessThanOrEqual(x.ms.max);
      // GFLOP/s is 2·m·k·n over the median time: the row is self-consistent.
      const [m, k, n] = x.shape.split('x').map(Number);
      expect(x.gflops).toBeCloseTo((2 * m * k * n) / (x.ms.median * 1e6), 6);
    }
    expect(r.chromium.args).toContain('--enable-unsafe-webgpu');
  });

  it('reports a bad ?shapes argument as an error from the page', async () => {
    await expect(runBrowserBench({ baseUrl: rig.url, shapes: '32x0x32', timeoutMs: 60_000 })).rejects.toThrow(/the bench page failed: Error: \?shapes: "32x0x32" is not m x k x n/);
  });
});
