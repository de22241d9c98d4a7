/**
 * Fixed costs on the current adapter: recording and running one tiny dispatch (4 elements), a submit with nothing
 * to wait for, and a tiny dispatch read back (the latency a training step avoids by never reading). These bound how
 * small a kernel can usefully be, and why the training step counts its dispatches. No Node-only imports.
 */
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import type { BenchResult } from './result.ts';
import { timeRounds } from './timing.ts';

export async function benchDispatch(g: WebGpuBackend, opts: { maxSeconds?: number } = {}): Promise<BenchResult[]> {
  const x = g.upload([1, -2, 3, -4]);
  const many = 500;
  const tiny = async () => {
    for (let i = 0; i < many; i++) g.release(g.unary('relu', x));
    await g.rt.sync();
  };
  const empty = async () => {
    for (let i = 0; i < 20; i++) await g.rt.sync();
  };
  const readback = async () => {
    const r = g.unary('relu', x);
    await g.read(r);
    g.release(r);
  };
  const [t, e, rb] = await timeRounds([tiny, empty, readback], { warmup: 1, runs: 5, maxSeconds: opts.maxSeconds ?? 5 });
  g.release(x);
  const per = (s: typeof t, k: number) => ({ median: s.median / k, min: s.min / k, max: s.max / k });
  const row = (kernel: string, shape: string, s: ReturnType<typeof per>, note: string): BenchResult => ({
    kernel, shape, impl: 'shadergrad', usPerDispatch: s.median * 1000, ms: s, runs: t.runs, note,
  });
  return [
    row('dispatch (tiny)', '4 elements', per(t, many), `${many} relu dispatches recorded, submitted and waited for, per dispatch`),
    row('submit + wait (empty)', '-', per(e, 20), 'a sync with nothing recorded'),
    row('dispatch + readback', '4 elements', per(rb, 1), 'one relu dispatch, then its 16 bytes mapped back'),
  ];
}
