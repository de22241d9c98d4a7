/**
 * The worker threads that sharded trial pools train on, in Node: started when the first sharded pool needs them,
 * then kept for the process and shared by every later pool (a search makes a pool per step shape, a study runs
 * several searches), so a thread's start-up (~0.3 s under tsx) and the data's copy are paid once. Each thread
 * receives the Tox21 data once — again only when a pool comes with other data — and pools refer to it. A thread is
 * ref'd only while a call to it is unanswered (session.ts), so a process whose search ended exits without closing
 * them; `closePoolThreads` stops them where a caller wants them gone now (tests). A thread that died is replaced
 * by a fresh one for the next pool. Node-only: search.ts imports this dynamically, on the float32 CPU backend.
 */
import type { TrialParams } from '../hpo/space.ts';
import { spawnNodeWorker } from '../workers/node-transport.ts';
import { WorkerSession } from '../workers/session.ts';
import type { Tox21Data } from './population.ts';
import type { PoolCalls } from './pool-worker.ts';
import { RemoteTrialPool } from './remote-trial-pool.ts';
import { ShardedTrialPool } from './sharded-trial-pool.ts';
import { configOf, type Tox21PoolOptions } from './trial-pool.ts';
import type { FcnResult, RunSpec } from './eval-hyperparams.ts';

/** Under tsx or vitest the entry is this folder's TypeScript; a build ships pool-worker.js beside its bundles. */
const ENTRY_URL = new URL(import.meta.url.endsWith('.ts') ? './pool-worker.ts' : './pool-worker.js', import.meta.url);

interface PoolThread {
  session: WorkerSession;
  /** The data this thread holds (by identity), or null before any. */
  data: Tox21Data | null;
}

const threads: PoolThread[] = [];
let poolCount = 0;

/** Thread k, started (or restarted, if it died) now, holding `data`. */
function threadFor(k: number, data: Tox21Data): PoolThread {
  let t = threads[k];
  if (!t || !t.session.alive) {
    t = { session: new WorkerSession(spawnNodeWorker(ENTRY_URL, { name: `tox21 pool worker ${k}` })), data: null };
    threads[k] = t;
  }
  if (t.data !== data) {
    // Only what training reads: the dataset and its split (a loaded data set also carries its report).
    const args: PoolCalls['data'] = { data: { dataset: data.dataset, split: data.split } };
    // A failure here fails the pool's open right after it, which its first step reports.
    t.session.call('data', args).catch(() => {});
    t.data = data;
  }
  return t;
}

/** Capacity `capacity` split over `shards` as evenly as it goes, the first shards taking the remainder. */
export function shardCapacities(capacity: number, shards: number): number[] {
  if (!Number.isInteger(shards) || shards < 1 || shards > capacity) throw new RangeError(`a pool of ${capacity} members cannot have ${shards} shards`);
  return Array.from({ length: shards }, (_, k) => Math.floor(capacity / shards) + (k < capacity % shards ? 1 : 0));
}

/**
 * A trial pool of `opts.capacity` members over `shards` worker threads (sharded-trial-pool.ts). In its thread a
 * member trains in a population where that is exactly its solo run — the book's fixed batch order (a population
 * saves ~7 % of the CPU time there: 36 s against 39 s over the book's hidden grid) — and alone, one after another
 * (Tox21TrialPool's `solo`), with shuffled batches (modern): a member that joins a running population sees that
 * population's batch order, not its own first epoch's, so which members share a thread, and with it the number of
 * threads, would show in the results.
 */
export function shardedTrialPool(data: Tox21Data, first: TrialParams, opts: Tox21PoolOptions, shards: number): ShardedTrialPool {
  const shuffled = configOf(first, opts.base, opts.mode).mode === 'modern'; // Tox21Population shuffles in modern mode
  return new ShardedTrialPool(shardCapacities(opts.capacity, shards).map((capacity, k) =>
    new RemoteTrialPool(threadFor(k, data).session, poolCount++, first, { ...opts, capacity, solo: shuffled })));
}

/**
 * evalTox21Population over `threads` worker threads: run i trains on thread i mod threads, in populations of at most
 * `maxModels` there. All runs share one batch-order seed (`dataSeed`, default the first run's seed, as in-process)
 * and a population member equals its solo run, so the results are those of one thread; only each result's
 * `population` (models trained at once in its thread) tells the split.
 */
export async function evalOnThreads(data: Tox21Data, runs: RunSpec[], opts: { dataSeed?: number; maxModels?: number }, threads: number): Promise<FcnResult[]> {
  if (runs.length === 0) return [];
  const dataSeed = opts.dataSeed ?? runs[0].seed;
  const out: FcnResult[] = new Array(runs.length);
  const parts = Array.from({ length: Math.min(threads, runs.length) }, (_, k) => runs.flatMap((_, i) => (i % threads === k ? [i] : [])));
  await Promise.all(parts.map(async (idx, k) => {
    const res = (await threadFor(k, data).session.call('evalPopulation', { runs: idx.map((i) => runs[i]), opts: { dataSeed, maxModels: opts.maxModels } })) as FcnResult[];
    idx.forEach((i, j) => (out[i] = res[j]));
  }));
  return out;
}

/** Threads started so far and alive. */
export function poolThreadCount(): number {
  return threads.filter((t) => t.session.alive).length;
}

/** Stops every pool thread; a later sharded pool starts new ones. */
export async function closePoolThreads(): Promise<void> {
  const all = threads.splice(0);
  await Promise.all(all.map((t) => t.session.close()));
}
