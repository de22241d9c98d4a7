/**
 * The samplers, and one way to pick one by name (what a command line's `--sampler grid|random|tpe` needs).
 */
import { GridSampler } from './grid.ts';
import { RandomSampler } from './random.ts';
import type { Sampler } from './sampler.ts';
import { TpeSampler, type TpeSamplerOptions } from './tpe.ts';

export { GridSampler } from './grid.ts';
export { RandomSampler, randomParams, type RandomSamplerOptions } from './random.ts';
export { TpeSampler, defaultGamma, rankTrials, type TpeSamplerOptions } from './tpe.ts';
export { inSpace, type SampleRequest, type Sampler } from './sampler.ts';

export const SAMPLER_NAMES = ['grid', 'random', 'tpe'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** A sampler by name; `opts.seed` seeds random and TPE, the other options are TPE's. */
export function createSampler(name: string, opts: TpeSamplerOptions = {}): Sampler {
  switch (name) {
    case 'grid': return new GridSampler();
    case 'random': return new RandomSampler({ seed: opts.seed });
    case 'tpe': return new TpeSampler(opts);
    default: throw new RangeError(`unknown sampler "${name}": use ${SAMPLER_NAMES.join(', ')}`);
  }
}
