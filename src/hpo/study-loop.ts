/**
 * A stored study's search, for one worker among any number (processes on this machine or others, one store): the
 * search loop (runner.ts) in rounds, each round starting from what the store holds now.
 *
 *  1. reap: running trials of dead workers (stale heartbeat, or a process of this machine that is gone) go back to
 *     waiting, to be retried with the same id and configuration, or fail after their last attempt;
 *  2. claim waiting trials (retries, and the points of a finite sampler, which the first worker enqueues once for the
 *     whole study) — a claim hands a trial to exactly one worker;
 *  3. run the search with every stored trial as history: the claimed ones train first (as the runner trains initial
 *     waiting trials), then, for an infinite sampler (random, TPE), new trials whose ids and count the store assigns
 *     atomically (StoreSink's limit), so all workers together make exactly nTrials; a finite sampler (grid) makes no
 *     new trials here — its points are in the queue;
 *  4. stop when the study holds nTrials (or every point) and nothing waits or runs; while other workers still run
 *     trials, wait and look again, since a dead worker's trials come back as waiting.
 * Resuming a crashed study is the same loop: completed trials are kept and seen by the sampler; nothing done is
 * trained again. Heartbeats run on a timer while the worker trains (StudyCoordinator).
 */
import { StudyCoordinator } from './store-coordinator.ts';
import type { Study } from './store-spec.ts';
import type { ReapResult, StudyStore } from './store.ts';
import type { StudySearchResult, StudySink } from './runner.ts';
import type { Sampler } from './samplers/sampler.ts';
import { gridPoints, type SearchSpace } from './space.ts';
import type { TrialRecord } from './trial.ts';

export interface StoredStudyOptions {
  store: StudyStore;
  study: Study;
  worker: string;
  space: SearchSpace;
  sampler: Sampler;
  /** Trials the study ends with; for a finite sampler, at most its points. */
  nTrials?: number;
  seeds: number[];
  /** Waiting trials one round claims (what fills the device). */
  claim: number;
  /** Runs one round of the search from `initial` (every stored trial; claimed ones as waiting). */
  run: (initial: TrialRecord[], sink: StudySink, sampler: Sampler) => Promise<StudySearchResult>;
  heartbeatSeconds?: number;
  staleSeconds?: number;
  maxAttempts?: number;
  pollMs?: number;
  onReap?: (r: ReapResult) => void;
}

/** Never proposes a trial: a round of a finite study trains only what it claimed. */
const QUEUE_ONLY: Sampler = { name: 'queue', finite: true, sample: () => null };

export async function runStoredStudy(o: StoredStudyOptions): Promise<{ trials: TrialRecord[]; population: number; rounds: number; seconds: number }> {
  const t0 = performance.now();
  const points = o.sampler.finite ? gridPoints(o.space) : null;
  const nTrials = points ? Math.min(points.length, o.nTrials ?? points.length) : o.nTrials;
  if (nTrials === undefined) throw new RangeError(`study "${o.study.name}": a ${o.sampler.name} sampler needs a number of trials`);
  const c = new StudyCoordinator({ store: o.store, study: o.study, worker: o.worker, nTrials, heartbeatSeconds: o.heartbeatSeconds, staleSeconds: o.staleSeconds, maxAttempts: o.maxAttempts });
  if (points) await c.enqueue(points.slice(0, nTrials), o.seeds);
  c.start();
  let population = 0, rounds = 0;
  try {
    for (;;) {
      const reaped = await c.reap();
      if (reaped.retried.length + reaped.failed.length > 0) o.onReap?.(reaped);
      const claimed = await c.next(o.claim);
      const ids = new Set(claimed.map((t) => t.id));
      const stored = await o.store.trials(o.study);
      const initial = stored.map((t) => (ids.has(t.id) ? { ...t, state: 'waiting' as const } : t));
      const before = stored.filter((t) => t.state !== 'waiting' && t.state !== 'running').length;
      const r = await o.run(initial, c.sink, points ? QUEUE_ONLY : o.sampler);
      rounds++;
      population = Math.max(population, r.population);
      if (r.stopped === 'timeout' || (await c.finished(!points))) break;
      const after = (await o.store.trials(o.study)).filter((t) => t.state !== 'waiting' && t.state !== 'running').length;
      // Nothing of ours to do: other workers are finishing theirs (or will hand them back when they die).
      if (after === before && claimed.length === 0) await new Promise((res) => setTimeout(res, o.pollMs ?? 500));
    }
  } finally {
    await c.stop();
  }
  return { trials: await o.store.trials(o.study), population, rounds, seconds: (performance.now() - t0) / 1000 };
}
