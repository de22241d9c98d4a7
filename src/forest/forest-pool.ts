/**
 * Grows a forest's trees on a WorkerPool (src/workers/): the training set goes to every worker once per fit, tree
 * indices go out as threads free up, and each tree is seeded from (seed, index), so a forest is the same for any
 * number of threads and the same in Node as in a browser. TreePool (Node worker threads, the calling thread growing
 * trees too) and WebTreePool (Web Workers, the page's thread kept free) are this with their transport; the one
 * worker entry is tree-worker.ts. No Node imports: this runs on both.
 */
import type { WorkerPool } from '../workers/pool.ts';
import type { FeatureMatrix } from './features.ts';
import { RandomForest, planFit, type FitPlan } from './forest.ts';
import { growTree } from './grow.ts';
import type { ForestOptions } from './options.ts';
import { Tree, type TreeArrays } from './tree.ts';

/** What tree-worker.ts keeps for a fit: its training set and parameters. */
export type TreeSetup = FitPlan;

export class ForestPool {
  private busy = false;
  private closed = false;
  /** Called after each tree arrives: trees done of the current fit, and its total. */
  onTree: ((done: number, total: number) => void) | undefined;
  /** Trees each thread grew in the last fit: [calling thread, worker 0, worker 1, …]. */
  protected perThread: number[] = [];
  /** Workers of the last fit that could not start or stopped, and why. */
  notes: string[] = [];

  constructor(
    private readonly pool: WorkerPool,
    private readonly callerGrows: boolean,
    /** The class's name in messages. */
    private readonly name: string,
  ) {}

  async fit(x: FeatureMatrix, y: ArrayLike<number>, options: ForestOptions = {}): Promise<RandomForest> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    if (this.busy) throw new Error(`${this.name}.fit: this pool is already fitting a forest; await it or use another pool`);
    this.busy = true;
    try {
      const plan = planFit(x, y, options);
      const n = plan.params.nEstimators;
      const r = await this.pool.run<TreeSetup, number, TreeArrays>({
        count: n,
        setup: plan,
        input: (i) => i,
        local: this.callerGrows ? (i) => growTree(plan.training, plan.params, i) : undefined,
        describe: (i) => `tree ${i}`,
        onResult: (_, __, done) => this.onTree?.(done, n),
      });
      this.perThread = r.perThread;
      this.notes = r.notes;
      return RandomForest.fromPlan(plan, r.results.map((t) => new Tree(t)));
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }
}
