/**
 * How workers share one stored study without training anything twice. Each worker (a process, on this machine or
 * another) runs the same loop:
 *
 *  1. reap: running trials whose worker stopped sending heartbeats (or, on this machine, whose process is gone) go
 *     back to waiting, to be retried with the same id and configuration, or fail after their last attempt;
 *  2. claim waiting trials (retries, and the points of a finite sampler such as a grid, which the first worker
 *     enqueues once for the whole study) — a claim hands a trial to exactly one worker;
 *  3. when none wait and a sampler is given, create new trials through the store, which picks the id and checks the
 *     study's trial count in the same transaction, so all workers together create exactly nTrials; the sampler is
 *     called under that lock with every trial stored so far (TPE sees all workers' and all earlier runs' trials);
 *  4. train what it got, writing every state change and intermediate value through the StoreSink, while a timer
 *     sends heartbeats for its running trials;
 *  5. stop when the study holds nTrials (or the sampler has nothing left) and none is waiting or running — waiting
 *     while other workers still run trials, since a dead one's trials come back as waiting.
 *
 * Resuming is the same loop: completed trials are kept and counted, so a rerun trains only what is missing.
 * Nothing here knows what a trial trains: the search engine (store-search.ts, the runner) drives this loop with the
 * caller's trial pools (Tox21 populations on a GPU, a fake in tests).
 */
import type { TrialParams } from './space.ts';
import { StoreSink } from './store-sink.ts';
import type { Study } from './store-spec.ts';
import type { NewTrial, ReapResult, StudyStore } from './store.ts';
import type { TrialRecord } from './trial.ts';

/** Chooses the configuration of trial `id` given every trial stored so far; null when the sampler is exhausted. */
export type TrialSampler = (id: number, history: TrialRecord[]) => { params: TrialParams; seeds: number[] } | null | Promise<{ params: TrialParams; seeds: number[] } | null>;

export interface CoordinatorOptions {
  store: StudyStore;
  study: Study;
  /** Unique per process: host:pid:… (see workerName); used to tell this machine's dead processes. */
  worker: string;
  /** The study ends with this many trials (Infinity: when the sampler runs out, e.g. a grid). */
  nTrials: number;
  /** Seconds between heartbeats (default 5). */
  heartbeatSeconds?: number;
  /** A running trial with no heartbeat for this long belongs to a dead worker (default 60). */
  staleSeconds?: number;
  /** Attempts before a trial whose workers keep dying is marked failed (default 3). */
  maxAttempts?: number;
  /** Told when a trial of this worker was handed to another (its heartbeat was late); its result is dropped. */
  onTaken?: (t: TrialRecord, e: Error) => void;
  /**
   * Whether another worker is known dead (its trials are reaped at once, whatever their heartbeats). Default:
   * deadHere, a process of this machine that is gone; a page passes its own test (a Web Lock its worker held).
   */
  isDead?: (worker: string) => boolean | Promise<boolean>;
}

export interface StudyProgress {
  /** Trials in the store. */
  total: number;
  waiting: number;
  running: number;
  /** complete + pruned + failed. */
  finished: number;
}

export class StudyCoordinator {
  readonly sink: StoreSink;
  private timer: ReturnType<typeof setInterval> | null = null;
  private beating: Promise<void> = Promise.resolve();
  private exhausted = false;

  constructor(readonly o: CoordinatorOptions) {
    if (!(o.nTrials === Infinity || (Number.isInteger(o.nTrials) && o.nTrials >= 1))) {
      throw new RangeError(`study "${o.study.name}": nTrials must be a positive integer (or Infinity for a finite sampler), got ${o.nTrials}`);
    }
    this.sink = new StoreSink(o.store, o.study, { worker: o.worker, limit: o.nTrials, onTaken: o.onTaken });
  }

  /** Starts the heartbeat timer (unref'd: it never keeps the process alive by itself). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.heartbeat()).catch(() => undefined);
    }, (this.o.heartbeatSeconds ?? 5) * 1000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
  }

  heartbeat(): Promise<void> {
    const ids = this.sink.running();
    return ids.length ? this.o.store.heartbeat(this.o.study, this.o.worker, ids) : Promise.resolve();
  }

  /** For finite samplers (grid): puts every point in the study as a waiting trial, once per study. */
  enqueue(points: TrialParams[], seeds: number[]): Promise<number> {
    return this.o.store.enqueueTrials(this.o.study, points, seeds);
  }

  /** Hands back the trials of dead workers: stale heartbeats anywhere, or processes of this machine that are gone. */
  async reap(): Promise<ReapResult> {
    const rows = await this.o.store.trialRows(this.o.study);
    const others = new Set(rows.filter((r) => r.record.state === 'running' && r.worker && r.worker !== this.o.worker).map((r) => r.worker!));
    const isDead = this.o.isDead ?? deadHere;
    const dead: string[] = [];
    for (const w of others) if (await isDead(w)) dead.push(w);
    return this.o.store.reapStale(this.o.study, this.o.staleSeconds ?? 60, { maxAttempts: this.o.maxAttempts, deadWorkers: dead, self: this.o.worker });
  }

  /**
   * Up to n trials for this worker, now running: waiting ones first, then new ones from `sample` while the study
   * holds fewer than nTrials. Empty when there is nothing to start now.
   */
  async next(n: number, sample?: TrialSampler): Promise<TrialRecord[]> {
    const { store, study, worker } = this.o;
    const got = await store.claimWaiting(study, worker, n);
    while (got.length < n && sample && !this.exhausted) {
      const toTrial = (s: { params: TrialParams; seeds: number[] } | null): NewTrial | null => {
        if (!s) {
          this.exhausted = true;
          return null;
        }
        return { params: s.params, state: 'running', seeds: s.seeds, budget: 0, intermediate: [], values: {}, seconds: 0 };
      };
      // A synchronous sampler stays synchronous, so SQLite's transaction never waits on the event loop.
      const t = await store.createTrialWith(study, { worker, limit: this.o.nTrials }, (id, history) => {
        const s = sample(id, history);
        return s instanceof Promise ? s.then(toTrial) : toTrial(s);
      });
      if (!t) break;
      got.push(t);
    }
    this.sink.adopt(got);
    return got;
  }

  async progress(): Promise<StudyProgress> {
    const rows = await this.o.store.trialRows(this.o.study);
    const count = (s: string) => rows.filter((r) => r.record.state === s).length;
    return { total: rows.length, waiting: count('waiting'), running: count('running'), finished: rows.length - count('waiting') - count('running') };
  }

  /** Whether the study is done: nothing waits or runs, and it holds nTrials (or the sampler had no more to give). */
  async finished(hasSampler: boolean): Promise<boolean> {
    const p = await this.progress();
    return p.waiting === 0 && p.running === 0 && (p.total >= this.o.nTrials || !hasSampler || this.exhausted);
  }
}

/**
 * Whether `worker` (host:pid:…) is a process of this machine that no longer exists. node:os is imported when first
 * needed, so this module also loads in a page (which passes `isDead` and never gets here).
 */
export async function deadHere(worker: string): Promise<boolean> {
  const [host, pidText] = worker.split(':');
  const pid = Number(pidText);
  const { hostname } = await import('node:os');
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
