/**
 * Random search (Bergstra & Bengio 2012): every parameter drawn independently from its range — uniform, uniform in
 * the logarithm, uniform over integers or choices — from `Rng(seed, trialId)`. Never runs out. It is also TPE's
 * start-up sampler.
 */
import { Rng } from '../../random/rng.ts';
import { checkSpace, sampleParam, type SearchSpace, type TrialParams } from '../space.ts';
import type { SampleRequest, Sampler } from './sampler.ts';

export interface RandomSamplerOptions {
  seed?: number;
}

export class RandomSampler implements Sampler {
  readonly name = 'random';
  readonly finite = false;
  readonly seed: number;

  constructor(opts: RandomSamplerOptions = {}) {
    this.seed = opts.seed ?? 0;
    if (!Number.isInteger(this.seed)) throw new RangeError(`random sampler: seed must be an integer, got ${this.seed}`);
  }

  sample(req: SampleRequest): TrialParams {
    return randomParams(req.space, new Rng(this.seed, req.trialId));
  }
}

/** One random point of the space, parameters drawn in the space's key order. */
export function randomParams(space: SearchSpace, rng: Rng): TrialParams {
  checkSpace(space);
  return Object.fromEntries(Object.entries(space).map(([k, s]) => [k, sampleParam(s, rng)]));
}
