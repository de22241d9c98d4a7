/**
 * Whether populations pay on a backend, measured: one training step of the run's network for one model and for k
 * models at once, on the backend that trains (cached like the backend choice). A population is worth training only
 * where its step costs less than its members' solo steps — on a dispatch-bound GPU far less, on an arithmetic-bound
 * emulator or CPU about the same (or more, once the weights leave the cache) — so the default population size and
 * how much padding a population may carry (`widthSlack`) come from this ratio, not from the adapter's kind.
 *
 * On the float32 CPU backend a search's populations pay another way: spread over the cores, each worker thread
 * training its share (src/tox21/sharded-trial-pool.ts) — `populationThreads` says over how many, and a search's
 * default population follows from it (src/tox21/search.ts: searchPopulation).
 */
import type { Backend } from '../backend/backend.ts';
import { tuneKey } from '../backend/webgpu/tune-file.ts';
import { threadsHere } from '../workers/threads-here.ts';
import { readMeasurement, writeMeasurement } from './measure-cache.ts';
import { shapeKey, timeTrainingSteps, type NetworkShape } from './step-timer.ts';

export interface PopulationCost {
  /** k: the population size timed. */
  models: number;
  msPerStep: { solo: number; population: number };
  /** The population's step ÷ k solo steps: below 1 a population saves time. */
  ratio: number;
  /** Populations save at least PAY_MARGIN of the solo steps' time. */
  pays: boolean;
  cached: boolean;
}

/**
 * A population must save this much to be the default: noise on a shared machine must not make it slower (on the CPU
 * backend here a measured 0.70 came out as 1.06× the solo runs' CPU time over the book's hidden grid).
 */
export const PAY_MARGIN = 0.2;

const COSTS = new WeakMap<Backend, PopulationCost>();

/** The measurement `measurePopulationCost` made for `be`, if any. */
export function populationCost(be: Backend): PopulationCost | undefined {
  return COSTS.get(be);
}

export async function measurePopulationCost(be: Backend, shape: NetworkShape, opts: {
  models?: number; cacheDir?: string | null; onNote?: (line: string) => void; timeStep?: (be: Backend, shape: NetworkShape, models: number) => Promise<number>;
} = {}): Promise<PopulationCost> {
  const k = opts.models ?? 8;
  const key = `population-${be.kind}-${tuneKey(be.info)}-${shapeKey(shape)}-m${k}`;
  let ms = await readMeasurement(opts.cacheDir, key, ['solo', 'population'], opts.onNote);
  const cached = ms !== null;
  if (!ms) {
    if (opts.timeStep) ms = { solo: await opts.timeStep(be, shape, 1), population: await opts.timeStep(be, shape, k) };
    else {
      // Alternating rounds, so a shared machine's load hits both alike; enough rounds for the best of each to settle.
      const [solo, population] = await timeTrainingSteps(be, shape, [1, k], { steps: 4, epochs: 5, budgetMs: 1500 });
      ms = { solo, population };
    }
    await writeMeasurement(opts.cacheDir, key, ms, opts.onNote);
  }
  const ratio = ms.population / (k * ms.solo);
  const cost: PopulationCost = { models: k, msPerStep: ms, ratio, pays: ratio < 1 - PAY_MARGIN, cached };
  COSTS.set(be, cost);
  return cost;
}

/**
 * How much narrower than its population a member may be (a fraction of the population's width): padding a member of
 * w units to W costs W/w of its arithmetic, which a population repays only where W/w · ratio < 1.
 */
export function widthSlack(be: Backend): number {
  const c = COSTS.get(be);
  if (!c) return be.info.software ? 0 : 1;
  return Math.min(1, Math.max(0, 1 - c.ratio));
}

/**
 * Members per thread of a sharded search's default population: a few, so each thread's share stays even as trials
 * of different widths and lengths come and go (on the book's hidden grid, 3 seeds a trial, 2 threads: 2 trials per
 * pool in flight; 12 or 16 took no less time there), while a sampler still learns from most results before it
 * proposes (a population is trials in flight × seeds).
 */
export const MODELS_PER_THREAD = 4;

/** Threads a default sharded population uses at most: beyond them, trials in flight outrun what a sampler learns. */
export const DEFAULT_MAX_THREADS = 8;

/**
 * How many worker threads a search's populations are sharded over on `be`, and why: on the float32 CPU backend,
 * where a population's step costs about its members' solo steps, populations pay across cores — `asked`, else every
 * core this process may use (at most DEFAULT_MAX_THREADS), where worker threads run and there are two or more.
 * Elsewhere 1: a GPU's populations pay in one set of dispatches, and the float64 oracle is a reference, not a
 * training path.
 */
export function populationThreads(be: Backend, asked?: number): { threads: number; reason: string } {
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1)) throw new RangeError(`threads must be a positive integer, got ${asked}`);
  if (be.kind !== 'cpu') return { threads: 1, reason: 'on WebGPU a population trains in one set of dispatches, not on threads' };
  if ((be as { dtype?: string }).dtype !== 'f32') return { threads: 1, reason: 'the float64 CPU backend (the reference) trains on the calling thread' };
  const here = threadsHere();
  if (!here.usable) return { threads: 1, reason: here.reason };
  if (asked !== undefined) return { threads: asked, reason: `CPU: ${asked} thread${asked === 1 ? '' : 's'} asked for${asked > 1 ? ', populations sharded across them' : ': populations train on the calling thread'}` };
  if (here.cores < 2) return { threads: 1, reason: `CPU: ${here.reason}: populations train on the calling thread` };
  const threads = Math.min(here.cores, DEFAULT_MAX_THREADS);
  return { threads, reason: `CPU: ${threads} threads, populations sharded across them` };
}
