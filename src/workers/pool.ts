/**
 * The one worker pool: N worker threads, started once and reused, that compute numbered tasks — forest trees,
 * chunks of molecules — handed out as threads free up. The transport is a SpawnWorker (Node worker threads or Web
 * Workers, see handle.ts), so the same pool serves the CLI and the page. Each worker holds a few tasks queued, so
 * it never idles while a result travels back; the calling thread may take tasks too (Node, where it would
 * otherwise wait) or not (a page's UI thread). Results are kept by task index and a task's result may depend only
 * on its index and the run's setup (callers seed per index, as forests seed each tree), so a run gives the same
 * results on any number of threads.
 *
 * Failures are named: a task that throws in a worker rejects the run with "forest worker 2 failed on tree 5: …",
 * the error's class kept. A worker that never started (or could not set up) costs a note, and its queued tasks go
 * to the others; with none left, the calling thread computes what it can, else the run fails with the notes. Idle
 * Node workers are unref'd: a pool between runs does not keep the process alive.
 */
import { reviveError, type SerializedError } from './errors.ts';
import type { SpawnWorker, WorkerHandle } from './handle.ts';
import type { PoolReply, PoolRequest } from './protocol.ts';

export interface WorkerPoolOptions {
  /** Worker threads to start (the calling thread is not counted); 0 is allowed: the caller does everything. */
  workers: number;
  /** The worker's entry module (it calls serveTasks). */
  entry: URL | string;
  spawn: SpawnWorker;
  /** What a worker is called in messages: "forest worker" names them "forest worker 0", "forest worker 1", … */
  label: string;
  /** Tasks each worker holds queued (default 2). */
  queued?: number;
}

export interface PoolRun<S, T, R> {
  count: number;
  /** Sent once to every worker before its first task of this run. */
  setup?: S;
  /** The message for task `index`. */
  input: (index: number) => T;
  /** Computes task `index` on the calling thread; without it the caller never computes. */
  local?: (index: number) => R | Promise<R>;
  /** The caller takes tasks from the start (default true when `local` is given); else only if no worker is left. */
  callerWorks?: boolean;
  /** Milliseconds a worker may go without answering a task it holds before it is stopped and the run fails (a
   *  worker stuck in a loop, say inside wasm, can be stopped no other way); default: no limit. */
  taskTimeoutMs?: number;
  /** A task as error messages name it (default "task 5"). */
  describe?: (index: number) => string;
  /** After each result, in the order they arrive: its index and how many are done. */
  onResult?: (index: number, result: R, done: number) => void;
}

export interface PoolRunResult<R> {
  /** By task index. */
  results: R[];
  /** Tasks each thread computed: [calling thread, worker 0, worker 1, …]. */
  perThread: number[];
  /** Workers that could not start or stopped, and why. */
  notes: string[];
}

interface Slot {
  handle: WorkerHandle;
  ready: boolean;
  alive: boolean;
  /** Tasks of the current run sent to this worker and not answered yet. */
  held: Set<number>;
  /** Fires when the worker has held tasks for the run's taskTimeoutMs without answering one. */
  watchdog?: ReturnType<typeof setTimeout>;
}

interface RunState {
  id: number;
  count: number;
  next: number;
  /** Tasks taken back from workers that never started. */
  requeued: number[];
  done: number;
  results: unknown[];
  perThread: number[];
  failure: Error | null;
  describe: (index: number) => string;
  taskTimeoutMs?: number;
  input: (index: number) => unknown;
  onResult?: (index: number, result: unknown, done: number) => void;
}

const yieldToEvents = () =>
  new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

export class WorkerPool {
  readonly label: string;
  private readonly slots: Slot[];
  private readonly queued: number;
  private runId = 0;
  private current: RunState | null = null;
  private closed = false;
  /** Notes since the last run began (a worker lost between runs is reported by the next). */
  private notes: string[] = [];
  private wake: () => void = () => {};

  constructor(opts: WorkerPoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 0) throw new RangeError(`${opts.label} pool: workers must be an integer ≥ 0, got ${opts.workers}`);
    this.label = opts.label;
    this.queued = opts.queued ?? 2;
    this.slots = Array.from({ length: opts.workers }, (_, k) => {
      const handle = opts.spawn(opts.entry, { name: `${opts.label} ${k}` });
      const slot: Slot = { handle, ready: false, alive: true, held: new Set() };
      handle.onMessage((m) => this.receive(k, m as PoolReply));
      handle.onError((e) => this.lose(k, e.message));
      return slot;
    });
  }

  /** Workers started (alive or not). */
  get size(): number {
    return this.slots.length;
  }

  async run<S, T, R>(o: PoolRun<S, T, R>): Promise<PoolRunResult<R>> {
    if (this.closed) throw new Error(`the ${this.label} pool is closed`);
    if (this.current) throw new Error(`the ${this.label} pool is already running a batch; await it or use another pool`);
    const run: RunState = {
      id: ++this.runId, count: o.count, next: 0, requeued: [], done: 0, results: new Array(o.count),
      perThread: new Array(this.slots.length + 1).fill(0), failure: null,
      describe: o.describe ?? ((i) => `task ${i}`), taskTimeoutMs: o.taskTimeoutMs, input: o.input, onResult: o.onResult as RunState['onResult'],
    };
    this.current = run;
    const callerWorks = o.callerWorks ?? o.local !== undefined;
    try {
      for (const s of this.slots) {
        if (!s.alive) continue;
        s.handle.ref();
        this.send(s, { kind: 'setup', run: run.id, setup: o.setup });
        this.fill(s);
      }
      while (run.done < run.count && !run.failure) {
        const anyAlive = this.slots.some((s) => s.alive);
        if (o.local && (callerWorks || !anyAlive)) {
          const i = this.take(run);
          if (i !== undefined) {
            this.deliver(run, i, await o.local(i), 0);
            await yieldToEvents(); // let workers' results in, and their next tasks out
            continue;
          }
        } else if (!anyAlive) {
          run.failure = new Error(`no ${this.label} is left for ${run.count - run.done} of ${run.count} tasks: ${this.notes.join('; ') || 'every worker stopped'}`);
          break;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      if (run.failure) throw run.failure;
      return { results: run.results as R[], perThread: run.perThread, notes: [...this.notes] };
    } finally {
      this.current = null;
      this.notes = [];
      for (const s of this.slots) {
        clearTimeout(s.watchdog);
        s.held.clear();
        if (s.alive) s.handle.unref();
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error(`the ${this.label} pool is closed`));
    await Promise.all(this.slots.map((s) => {
      s.alive = false;
      return s.handle.terminate();
    }));
  }

  private take(run: RunState): number | undefined {
    if (run.requeued.length > 0) return run.requeued.shift();
    return run.next < run.count ? run.next++ : undefined;
  }

  /** Tops up a worker's queue from the run's tasks. */
  private fill(s: Slot): void {
    const run = this.current;
    if (!run || run.failure || !s.alive) return;
    while (s.held.size < this.queued) {
      const i = this.take(run);
      if (i === undefined) return;
      if (s.held.size === 0) this.arm(s, run);
      s.held.add(i);
      this.send(s, { kind: 'task', run: run.id, index: i, input: run.input(i) });
    }
  }

  /** (Re)starts the worker's watchdog: it must answer one of its tasks within the run's taskTimeoutMs. */
  private arm(s: Slot, run: RunState): void {
    clearTimeout(s.watchdog);
    s.watchdog = undefined;
    const ms = run.taskTimeoutMs;
    if (ms === undefined || !Number.isFinite(ms)) return;
    s.watchdog = setTimeout(() => {
      if (this.current !== run || !s.alive || s.held.size === 0) return;
      s.alive = false;
      void s.handle.terminate();
      this.fail(new Error(`${s.handle.name} gave no answer on ${run.describe(Math.min(...s.held))} within ${ms / 1000} s; it was stopped`));
    }, ms);
  }

  private send(s: Slot, request: PoolRequest): void {
    s.handle.post(request);
  }

  private deliver(run: RunState, index: number, result: unknown, thread: number): void {
    run.results[index] = result;
    run.perThread[thread]++;
    run.done++;
    run.onResult?.(index, result, run.done);
  }

  private receive(k: number, m: PoolReply): void {
    const s = this.slots[k];
    if (m.kind === 'ready') {
      s.ready = true;
      return;
    }
    const run = this.current;
    if (!run || m.run !== run.id || !s.alive) return;
    if (m.kind === 'setup-failed') {
      this.drop(k, `could not set up: ${m.error.message}`);
    } else if (m.kind === 'error') {
      this.fail(named(m.error, `${s.handle.name} failed on ${run.describe(m.index)}`));
    } else {
      s.held.delete(m.index);
      if (s.held.size > 0) this.arm(s, run);
      else clearTimeout(s.watchdog);
      this.deliver(run, m.index, m.result, k + 1);
      this.fill(s);
    }
    this.wake();
  }

  /** A worker's error or unrequested exit. */
  private lose(k: number, why: string): void {
    const s = this.slots[k];
    if (!s.alive) return; // Node reports a crash as an error and then an exit
    const run = this.current;
    if (s.ready && run && s.held.size > 0) {
      s.alive = false;
      clearTimeout(s.watchdog);
      void s.handle.terminate();
      this.fail(new Error(`${s.handle.name} stopped while on ${run.describe(Math.min(...s.held))}: ${why}`));
      this.wake();
      return;
    }
    this.drop(k, s.ready ? `stopped: ${why}` : `could not start: ${why}`);
    this.wake();
  }

  /** Takes a worker out: a note, its queued tasks back to the others. */
  private drop(k: number, why: string): void {
    const s = this.slots[k];
    s.alive = false;
    clearTimeout(s.watchdog);
    this.notes.push(`${s.handle.name} ${why}`);
    void s.handle.terminate();
    const run = this.current;
    if (!run) return;
    run.requeued.push(...[...s.held].sort((a, b) => a - b));
    s.held.clear();
    for (const other of this.slots) this.fill(other);
  }

  private fail(e: Error): void {
    const run = this.current;
    if (run && !run.failure) run.failure = e;
    this.wake();
  }
}

/** The worker's error, its class kept, with who failed on what in front of its message. */
function named(error: SerializedError, who: string): Error {
  const e = reviveError(error);
  e.message = `${who}: ${e.message}`;
  return e;
}
