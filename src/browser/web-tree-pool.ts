/**
 * Grows forests on Web Workers: the browser twin of src/forest/tree-pool.ts. The calling thread grows no trees (in
 * a page it is the UI thread, and a tree on full Tox21 takes longer than a frame); it sends the training set to every
 * worker once per fit, keeps two trees queued on each, and hands out tree indices as workers free up. Each tree is
 * seeded from (seed, index), so a forest is the same for any number of workers, and the same as Node grows it.
 * `fit` has the ForestFitter signature, so `runTaskBaseline` takes `(x, y, o) => pool.fit(x, y, o)`.
 */
import type { FeatureMatrix } from '../forest/features.ts';
import { RandomForest, planFit } from '../forest/forest.ts';
import type { ForestOptions } from '../forest/options.ts';
import { Tree, type TreeArrays } from '../forest/tree.ts';
import type { PoolRequest } from '../forest/tree-worker.ts';
import { reviveError, type SerializedError } from './worker-errors.ts';

export type WebPoolReply = { id: number; index: number; tree: TreeArrays } | { id: number; index: number; error: SerializedError };

const QUEUED_PER_WORKER = 2;

export interface WebTreePoolOptions {
  /** Default: navigator.hardwareConcurrency, at most 8. */
  workers?: number;
  /** The worker script (default: tree-worker.browser.js beside this library bundle). */
  workerUrl?: string | URL;
  /** Called after each tree arrives: trees done of the current fit, and its total. */
  onTree?: (done: number, total: number) => void;
}

export class WebTreePool {
  readonly size: number;
  private readonly workers: Worker[];
  private busy = false;
  private broken: Error | null = null;
  private fitId = 0;
  private onReply: ((k: number, reply: WebPoolReply) => void) | null = null;
  private onFailure: ((e: Error) => void) | null = null;
  onTree: ((done: number, total: number) => void) | undefined;
  /** Trees each worker grew in the last fit. */
  treesPerWorker: number[] = [];

  constructor(opts: WebTreePoolOptions = {}) {
    const size = opts.workers ?? Math.min(8, Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2));
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`WebTreePool: workers must be an integer ≥ 1, got ${size}`);
    this.size = size;
    this.onTree = opts.onTree;
    const url = opts.workerUrl ?? new URL('./tree-worker.browser.js', import.meta.url);
    this.workers = Array.from({ length: size }, (_, k) => {
      const w = new Worker(url, { type: 'module', name: `shadergrad trees ${k}` });
      w.onmessage = (ev: MessageEvent<WebPoolReply>) => this.onReply?.(k, ev.data);
      w.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        this.fail(new Error(`forest worker ${k} failed: ${ev.message || 'it could not start (is tree-worker.browser.js served beside the library?)'}`));
      };
      return w;
    });
  }

  async fit(x: FeatureMatrix, y: ArrayLike<number>, options: ForestOptions = {}): Promise<RandomForest> {
    if (this.broken) throw this.broken;
    if (this.busy) throw new Error('WebTreePool.fit: this pool is already fitting a forest; await it or use another pool');
    const plan = planFit(x, y, options);
    const n = plan.params.nEstimators;
    const trees: Tree[] = new Array(n);
    const id = ++this.fitId;
    const grown = new Array<number>(this.size).fill(0);
    this.busy = true;
    try {
      await new Promise<void>((resolve, reject) => {
        let next = 0;
        let done = 0;
        const send = (k: number) => {
          if (next < n) this.post(k, { type: 'grow', id, index: next++ });
        };
        this.onFailure = reject;
        this.onReply = (k, reply) => {
          if (reply.id !== id) return;
          if ('error' in reply) {
            const e = reviveError(reply.error);
            e.message = `forest worker ${k}, tree ${reply.index}: ${e.message}`;
            return reject(e);
          }
          trees[reply.index] = new Tree(reply.tree);
          grown[k]++;
          done++;
          this.onTree?.(done, n);
          if (done === n) resolve();
          else send(k);
        };
        this.workers.forEach((_, k) => {
          this.post(k, { type: 'train', id, training: plan.training, params: plan.params });
          for (let q = 0; q < QUEUED_PER_WORKER; q++) send(k);
        });
      });
    } finally {
      this.busy = false;
      this.onReply = null;
      this.onFailure = null;
      this.treesPerWorker = grown;
    }
    return RandomForest.fromPlan(plan, trees);
  }

  close(): void {
    this.broken ??= new Error('WebTreePool is closed');
    for (const w of this.workers) w.terminate();
  }

  private post(k: number, request: PoolRequest): void {
    this.workers[k].postMessage(request);
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    this.onFailure?.(e);
    for (const w of this.workers) w.terminate();
  }
}
