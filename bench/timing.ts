/** Timing helpers for the benchmarks: median and spread of timed runs after warm-up. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export async function time(fn: () => Promise<void>, opts: { warmup?: number; runs?: number; maxSeconds?: number } = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 1;
  const maxMs = (opts.maxSeconds ?? 5) * 1000;
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < (opts.runs ?? 5) && (ms.length < 2 || performance.now() - start < maxMs)) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms[ms.length - 1], runs: ms.length };
}
