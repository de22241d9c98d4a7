/**
 * A search whose study lives in a store: rounds of the adaptive runner (src/hpo/runner.ts, or a wrapper such as
 * the Tox21 search that gives it pools) driven by the StudyCoordinator (src/hpo/store-coordinator.ts), so a search
 * resumes where a killed one stopped and any number of workers share one study without training a configuration
 * twice.
 *
 * The split of work: the coordinator decides *which* trials this worker trains — claiming waiting ones (retries of
 * dead workers' trials) and creating new ones, whose configuration the sampler chooses under the store's lock, with
 * the whole study as history (every worker's trials, running ones included) and the id the trial will really have.
 * That is what keeps two workers apart: samplers draw from Rng(seed, trialId) and the grid takes the first point
 * no trial has, so two workers sampling from the same history with ids of their own would pick the same
 * configuration. The runner decides *how*: each round trains the handed trials (as initial waiting trials, with the
 * whole study as the pruner's history) and writes every change through the StoreSink; it samples nothing itself.
 * The cost: a pruned trial's slot is refilled at the next round, not at once.
 */
import type { StudySearchResult, StudySink } from './runner.ts';
import type { Sampler } from './samplers/sampler.ts';
import type { SearchSpace } from './space.ts';
import { StudyCoordinator, type TrialSampler } from './store-coordinator.ts';
import type { Study } from './store-spec.ts';
import type { ReapResult, StudyStore } from './store.ts';
import { withoutTestValues, type Objective, type TrialRecord } from './trial.ts';

export interface StoredSearchOptions {
  store: StudyStore;
  study: Study;
  /** Unique per process (workerName()). */
  worker: string;
  space: SearchSpace;
  sampler: Sampler;
  objective: Objective;
  /** Trials of the whole study (all workers, all runs); may be left out for a finite sampler (grid). */
  nTrials?: number;
  /** Seeds of every trial. */
  seeds: number[];
  /** Trials one round claims and trains together (what fills the device). */
  claim: number;
  /**
   * Trains one round: `initial` is every stored trial, this worker's handed ones as waiting; `sampler` gives
   * nothing, so the round trains exactly those; `secondsLeft` is what remains of timeoutSeconds (pass it on to the
   * runner as its timeoutSeconds). Resolves with the runner's result.
   */
  run: (initial: TrialRecord[], sink: StudySink, sampler: Sampler, secondsLeft: number | undefined) => Promise<StudySearchResult>;
  /** Wall-clock budget of this run in seconds: no round starts after it, and `run` is told what is left. */
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  staleSeconds?: number;
  maxAttempts?: number;
  /** How long to wait for other workers' trials before looking again, ms (default 1000). */
  pollMs?: number;
  onReap?: (r: ReapResult) => void;
}

export interface StoredSearchResult {
  /** Every trial of the study at the end, by id. */
  trials: TrialRecord[];
  /** Ids of the trials this worker trained in this run. */
  trained: number[];
  rounds: number;
  seconds: number;
  population: number;
  stopped: 'n-trials' | 'exhausted' | 'timeout';
}

/** Gives nothing: a round trains only the trials it was handed. */
const HANDED_ONLY: Sampler = { name: 'handed', finite: true, sample: () => null };

export async function runStoredSearch(o: StoredSearchOptions): Promise<StoredSearchResult> {
  const { store, study } = o;
  if (o.nTrials === undefined && !o.sampler.finite) throw new RangeError(`study "${study.name}": the ${o.sampler.name} sampler never runs out; give nTrials`);
  if (!(Number.isInteger(o.claim) && o.claim >= 1)) throw new RangeError(`study "${study.name}": claim must be a positive integer, got ${o.claim}`);
  const t0 = performance.now();
  const c = new StudyCoordinator({ ...o, nTrials: o.nTrials ?? Infinity });
  const trained: number[] = [];
  let population = 0, rounds = 0;
  let timedOut = false;
  const sample: TrialSampler = (id, history) => {
    const params = o.sampler.sample({ space: o.space, history: history.map(withoutTestValues), trialId: id, objective: o.objective });
    return params && { params, seeds: o.seeds };
  };
  c.start();
  try {
    for (;;) {
      const left = o.timeoutSeconds === undefined ? undefined : o.timeoutSeconds - (performance.now() - t0) / 1000;
      if (left !== undefined && left <= 0) {
        timedOut = true;
        break;
      }
      const reaped = await c.reap();
      if (reaped.retried.length + reaped.failed.length) o.onReap?.(reaped);
      const mine = await c.next(o.claim, sample);
      if (mine.length === 0) {
        if (await c.finished(true)) break;
        // Other workers are finishing theirs (or will hand them back when they die).
        await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
        continue;
      }
      trained.push(...mine.map((t) => t.id));
      const ids = new Set(mine.map((t) => t.id));
      const initial = (await store.trials(study)).map((t) => (ids.has(t.id) ? { ...t, state: 'waiting' as const, intermediate: [], budget: 0 } : t));
      const r = await o.run(initial, c.sink, HANDED_ONLY, left);
      rounds++;
      population = Math.max(population, r.population);
      if (r.stopped === 'timeout') {
        timedOut = true;
        break;
      }
    }
  } finally {
    await c.stop();
  }
  const trials = await store.trials(study);
  return {
    trials, trained, rounds, population,
    seconds: (performance.now() - t0) / 1000,
    stopped: timedOut ? 'timeout' : trials.length >= (o.nTrials ?? Infinity) ? 'n-trials' : 'exhausted',
  };
}
