/**
 * Timing for the benchmarks: median and spread of timed runs after warm-up. Contenders (our kernel and a peer's)
 * are timed in alternating rounds, so a burst of load from another process on a shared machine hits all of them
 * alike and their ratio stays meaningful even when absolute times wander.
 */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Timing extends Spread {
  runs: number;
}

export interface TimeOptions {
  warmup?: number;
  /** Timed runs wanted; fewer when maxSeconds runs out (but at least minRuns). */
  runs?: number;
  minRuns?: number;
  maxSeconds?: number;
}

export function spread(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[(s.length - 1) >> 1], min: s[0], max: s[s.length - 1], runs: s.length };
}

export function scale(t: Timing, by: number): Timing {
  return { median: t.median * by, min: t.min * by, max: t.max * by, runs: t.runs };
}

export async function time(fn: () => Promise<void>, opts: TimeOptions = {}): Promise<Timing> {
  return (await timeRounds([fn], opts))[0];
}

/** Times each function once per round, in turn, for up to `runs` rounds; returns one Timing per function. */
export async function timeRounds(fns: (() => Promise<void>)[], opts: TimeOptions = {}): Promise<Timing[]> {
  const maxMs = (opts.maxSeconds ?? 5) * 1000;
  for (let i = 0; i < (opts.warmup ?? 1); i++) for (const f of fns) await f();
  const ms: number[][] = fns.map(() => []);
  const start = performance.now();
  const runs = opts.runs ?? 5;
  while (ms[0].length < runs && (ms[0].length < (opts.minRuns ?? 2) || performance.now() - start < maxMs)) {
    for (let i = 0; i < fns.length; i++) {
      const t0 = performance.now();
      await fns[i]();
      ms[i].push(performance.now() - t0);
    }
  }
  return ms.map(spread);
}
