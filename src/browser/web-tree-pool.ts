/**
 * Grows forests on Web Workers: a ForestPool (src/forest/forest-pool.ts) on the browser's transport. The calling
 * thread grows no trees (in a page it is the UI thread, and a tree on full Tox21 takes longer than a frame). Each
 * tree is seeded from (seed, index), so a forest is the same for any number of workers, and the same as Node grows
 * it. `fit` has the ForestFitter signature, so `runTaskBaseline` takes `(x, y, o) => pool.fit(x, y, o)`.
 */
import { ForestPool } from '../forest/forest-pool.ts';
import { WorkerPool } from '../workers/pool.ts';
import { spawnWebWorker } from '../workers/web-transport.ts';

export interface WebTreePoolOptions {
  /** Default: navigator.hardwareConcurrency, at most 8. */
  workers?: number;
  /** The worker script (default: tree-worker.browser.js beside this library bundle). */
  workerUrl?: string | URL;
  /** Called after each tree arrives: trees done of the current fit, and its total. */
  onTree?: (done: number, total: number) => void;
}

export class WebTreePool extends ForestPool {
  readonly size: number;

  constructor(opts: WebTreePoolOptions = {}) {
    const size = opts.workers ?? Math.min(8, Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2));
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`WebTreePool: workers must be an integer ≥ 1, got ${size}`);
    const entry = opts.workerUrl ?? new URL('./tree-worker.browser.js', import.meta.url);
    super(new WorkerPool({ workers: size, entry, spawn: spawnWebWorker, label: 'forest worker' }), false, 'WebTreePool');
    this.size = size;
    this.onTree = opts.onTree;
  }

  /** Trees each worker grew in the last fit. */
  get treesPerWorker(): number[] {
    return this.perThread.slice(1);
  }
}
