/**
 * A search whose study lives in a store: the search engine (src/hpo/runner.ts, or a wrapper such as the Tox21
 * search that gives it pools) with the store as its trial source, under the StudyCoordinator
 * (src/hpo/store-coordinator.ts): a search resumes where a killed one stopped, and any number of workers share one
 * study without training a configuration twice.
 *
 * Whenever a pool has room, the runner asks the store for the next trial: a waiting one (a retry of a dead
 * worker's trial, or an enqueued configuration) claimed for this worker, else a new one, whose configuration the
 * sampler chooses under the store's lock, with the whole study as history (every worker's trials) and the id the
 * trial will really have. That is what keeps two workers apart: samplers draw from Rng(seed, trialId) and the grid
 * takes the first point no trial has, so two workers sampling from the same history with ids of their own would
 * pick the same configuration. The runner writes every change through the coordinator's StoreSink, so a pruned
 * trial's slot is refilled at once, as in a search without a store.
 *
 * When the store has nothing to hand out but the study is not finished (other workers still run trials, which come
 * back as waiting if those workers die), this worker reaps dead workers' trials, waits a moment and runs again.
 */
import type { StudySearchResult, StudySink, TrialSource } from './runner.ts';
import type { Sampler } from './samplers/sampler.ts';
import type { SearchSpace, TrialParams } from './space.ts';
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
  /**
   * Runs the search engine until the store has nothing more to hand out: `initial` is every stored trial but the
   * waiting ones (the source hands those out), `source` gives the trials to train (pass it to the runner instead of a
   * sampler), `sink` takes every change, `secondsLeft` is what remains of timeoutSeconds (the runner's
   * timeoutSeconds). Resolves with the runner's result.
   */
  run: (initial: TrialRecord[], sink: StudySink, source: TrialSource, secondsLeft: number | undefined) => Promise<StudySearchResult>;
  /** Wall-clock budget of this run in seconds: no run starts after it, and `run` is told what is left. */
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  staleSeconds?: number;
  maxAttempts?: number;
  /** How long to wait for other workers' trials before looking again, ms (default 1000). */
  pollMs?: number;
  onReap?: (r: ReapResult) => void;
  /** Whether another worker is known dead (default: a gone process of this machine; see StudyCoordinator). */
  isDead?: (worker: string) => boolean | Promise<boolean>;
  /** Told when a trial of this worker was handed to another (its heartbeat was late); its result is dropped. */
  onTaken?: (t: TrialRecord, e: Error) => void;
  /**
   * Configurations to train before sampling, enqueued once for the study (Optuna's enqueue_trial): every worker and
   * every resume passes the same list, the store adds it once.
   */
  enqueue?: TrialParams[];
}

export interface StoredSearchResult {
  /** Every trial of the study at the end, by id. */
  trials: TrialRecord[];
  /** Ids of the trials this worker trained in this run. */
  trained: number[];
  /** Runs of the engine (more than one when this worker waited for others' trials). */
  rounds: number;
  seconds: number;
  population: number;
  stopped: 'n-trials' | 'exhausted' | 'timeout';
}

export async function runStoredSearch(o: StoredSearchOptions): Promise<StoredSearchResult> {
  const { store, study } = o;
  if (o.nTrials === undefined && !o.sampler.finite) throw new RangeError(`study "${study.name}": the ${o.sampler.name} sampler never runs out; give nTrials`);
  const t0 = performance.now();
  const c = new StudyCoordinator({ ...o, nTrials: o.nTrials ?? Infinity });
  const trained: number[] = [];
  let population = 0, rounds = 0;
  let timedOut = false;
  const sample: TrialSampler = (id, history) => {
    const params = o.sampler.sample({ space: o.space, history: history.map(withoutTestValues), trialId: id, objective: o.objective });
    return params && { params, seeds: o.seeds };
  };
  // One trial at a time, when the runner has room for it: claimed or created for this worker, under the lock.
  const source: TrialSource = {
    next: async () => {
      const [t] = await c.next(1, sample);
      if (t) trained.push(t.id);
      return t ?? null;
    },
  };
  if (o.enqueue) await c.enqueue(o.enqueue, o.seeds);
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
      const initial = (await store.trials(study)).filter((t) => t.state !== 'waiting');
      const before = trained.length;
      const r = await o.run(initial, c.sink, source, left);
      rounds++;
      population = Math.max(population, r.population);
      if (r.stopped === 'timeout') {
        timedOut = true;
        break;
      }
      if (await c.finished(true)) break;
      // Other workers are finishing theirs (or will hand them back when they die); look again after a while.
      if (trained.length === before) await new Promise((res) => setTimeout(res, o.pollMs ?? 1000));
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
