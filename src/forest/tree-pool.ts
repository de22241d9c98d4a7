/**
 * Grows forests on Node worker threads. A pool of N threads is the calling thread plus N − 1 workers, started once
 * to serve many fits (the CLI starts them while it loads data; `--task all` fits twelve forests on them). Each fit
 * sends the training set to every worker and queues two trees on each, then hands out tree indices as threads free
 * up; the calling thread grows trees too, so the workers' start-up (~0.25 s under tsx) is not dead time. Each tree
 * is seeded from (seed, index), so a forest is the same for any number of threads. A browser would do the same with
 * Web Workers running grow.ts.
 */
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { FeatureMatrix } from './features.ts';
import { RandomForest, planFit } from './forest.ts';
import { growTree } from './grow.ts';
import type { ForestOptions } from './options.ts';
import { Tree } from './tree.ts';
import type { PoolRequest, PoolReply } from './tree-worker.ts';
import { workerExecArgv } from '../worker-exec-argv.ts';

// Under tsx or vitest this file is TypeScript and the worker must register tsx itself (Node 20 does not apply
// `--import tsx` loader hooks inside workers); a bundled build ships tree-worker.js next to this file.
const BOOT_URL = new URL('./tree-worker-boot.mjs', import.meta.url);
const ENTRY_URL = new URL(import.meta.url.endsWith('.ts') ? './tree-worker.ts' : './tree-worker.js', import.meta.url).href;

/**
 * Trees each worker holds queued: it never idles while a finished tree travels back and the next index comes, and a
 * worker always grows some trees of a fit, however fast the calling thread is.
 */
const QUEUED_PER_WORKER = 2;

export class TreePool {
  private readonly workers: Worker[];
  private busy = false;
  private broken: Error | null = null;
  private fitId = 0;
  /** The running fit's handlers; workers' events go here. */
  private onReply: ((worker: number, reply: PoolReply) => void) | null = null;
  private onFailure: ((e: Error) => void) | null = null;
  /** Trees each thread grew in the last fit: [calling thread, worker 1, …]. */
  treesPerThread: number[] = [];

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
    this.workers = Array.from({ length: threads - 1 }, (_, k) => {
      const worker = new Worker(BOOT_URL, { workerData: { entry: ENTRY_URL }, execArgv: workerExecArgv() });
      worker.on('message', (reply: PoolReply) => this.onReply?.(k, reply));
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', (code) => this.fail(new Error(`forest worker ${k} exited with code ${code}`)));
      worker.unref(); // an idle pool does not keep the process alive
      return worker;
    });
  }

  async fit(x: FeatureMatrix, y: ArrayLike<number>, options: ForestOptions = {}): Promise<RandomForest> {
    if (this.broken) throw this.broken;
    if (this.busy) throw new Error('TreePool.fit: this pool is already fitting a forest; await it or use another pool');
    const plan = planFit(x, y, options);
    const n = plan.params.nEstimators;
    const trees: Tree[] = new Array(n);
    const id = ++this.fitId;
    const grown = new Array<number>(this.threads).fill(0);
    this.busy = true;
    try {
      await new Promise<void>((resolve, reject) => {
        let next = 0;
        let done = 0;
        let failed = false;
        const finished = () => {
          if (++done === n) resolve();
        };
        const send = (k: number) => {
          if (next < n) this.post(k, { type: 'grow', id, index: next++ });
        };
        this.onFailure = (e) => {
          failed = true;
          reject(e);
        };
        this.onReply = (k, reply) => {
          if (reply.id !== id) return;
          trees[reply.index] = new Tree(reply.tree);
          grown[k + 1]++;
          send(k);
          finished();
        };
        this.workers.forEach((w, k) => {
          w.ref();
          this.post(k, { type: 'train', id, training: plan.training, params: plan.params });
          for (let q = 0; q < QUEUED_PER_WORKER; q++) send(k);
        });
        void (async () => {
          try {
            while (next < n && !failed) {
              const i = next++;
              trees[i] = new Tree(growTree(plan.training, plan.params, i));
              grown[0]++;
              finished();
              await yieldToEvents(); // let the workers' trees in and their next indices out
            }
          } catch (e) {
            reject(e);
          }
        })();
      });
    } finally {
      this.busy = false;
      this.onReply = null;
      this.onFailure = null;
      for (const w of this.workers) w.unref();
      this.treesPerThread = grown;
    }
    return RandomForest.fromPlan(plan, trees);
  }

  async close(): Promise<void> {
    this.broken ??= new Error('TreePool is closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private post(k: number, request: PoolRequest): void {
    this.workers[k].postMessage(request);
  }

  private fail(e: Error): void {
    if (this.broken) return; // closing, or already failed: later exits are expected
    this.broken = e;
    this.onFailure?.(e);
    for (const w of this.workers) void w.terminate();
  }
}

export interface ThreadedFitOptions extends ForestOptions {
  /** Threads growing trees, the calling thread included (default 1: no workers). */
  threads?: number;
}

/** Fits a forest on this thread and `threads` − 1 fresh workers, paying their start-up (no workers when 1). */
export async function fitForest(x: FeatureMatrix, y: ArrayLike<number>, options: ThreadedFitOptions = {}): Promise<RandomForest> {
  const { threads = 1, ...forestOptions } = options;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
  if (threads === 1) return RandomForest.fit(x, y, forestOptions);
  const pool = new TreePool(threads);
  try {
    return await pool.fit(x, y, forestOptions);
  } finally {
    await pool.close();
  }
}
