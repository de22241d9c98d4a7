/**
 * Grows forests on Node worker threads: a ForestPool (forest-pool.ts) whose calling thread grows trees too, so the
 * workers' start-up (~0.25 s under tsx) is not dead time. A pool of N threads is the calling thread plus N − 1
 * workers, started once to serve many fits (the CLI starts them while it loads data; `--task all` fits twelve
 * forests on them). Node-only; the browser's twin is src/browser/web-tree-pool.ts.
 */
import { spawnNodeWorker } from '../workers/node-transport.ts';
import { WorkerPool } from '../workers/pool.ts';
import type { FeatureMatrix } from './features.ts';
import { ForestPool } from './forest-pool.ts';
import { RandomForest } from './forest.ts';
import type { ForestOptions } from './options.ts';

/** Under tsx or vitest the entry is this folder's TypeScript; a build ships tree-worker.js beside its bundles. */
const ENTRY_URL = new URL(import.meta.url.endsWith('.ts') ? './tree-worker.ts' : './tree-worker.js', import.meta.url);

export class TreePool extends ForestPool {
  constructor(readonly threads: number) {
    checkThreads(threads);
    super(new WorkerPool({ workers: threads - 1, entry: ENTRY_URL, spawn: spawnNodeWorker, label: 'forest worker' }), true, 'TreePool');
  }

  /** Trees each thread grew in the last fit: [calling thread, worker 1, …]. */
  get treesPerThread(): number[] {
    return this.perThread;
  }
}

export interface ThreadedFitOptions extends ForestOptions {
  /** Threads growing trees, the calling thread included (default 1: no workers). */
  threads?: number;
}

/** Fits a forest on this thread and `threads` − 1 fresh workers, paying their start-up (no workers when 1). */
export async function fitForest(x: FeatureMatrix, y: ArrayLike<number>, options: ThreadedFitOptions = {}): Promise<RandomForest> {
  const { threads = 1, ...forestOptions } = options;
  checkThreads(threads);
  if (threads === 1) return RandomForest.fit(x, y, forestOptions);
  const pool = new TreePool(threads);
  try {
    return await pool.fit(x, y, forestOptions);
  } finally {
    await pool.close();
  }
}

function checkThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
}
