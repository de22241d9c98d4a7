/**
 * Whether populations pay on a backend, measured: one training step of the run's network for one model and for k
 * models at once, on the backend that trains (cached like the backend choice). A population is worth training only
 * where its step costs less than its members' solo steps — on a dispatch-bound GPU far less, on an arithmetic-bound
 * emulator or CPU about the same (or more, once the weights leave the cache) — so the default population size and
 * how much padding a population may carry (`widthSlack`) come from this ratio, not from the adapter's kind.
 */
import type { Backend } from '../backend/backend.ts';
import { tuneKey } from '../backend/webgpu/tune-file.ts';
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
