/**
 * What a sampler is: given the search space and the study's history, the parameters of the next trial (Optuna's
 * BaseSampler, independent sampling only). The history a sampler sees has been through `withoutTestValues`, so a
 * sampler cannot choose on test scores. Samplers are deterministic: a trial's draws come from `Rng(seed, trialId)`,
 * so the same seed and the same history give the same parameters whatever order trials were asked in.
 */
import type { SearchSpace, TrialParams } from '../space.ts';
import type { Objective, TrialRecord } from '../trial.ts';

export interface SampleRequest {
  space: SearchSpace;
  /** Every trial of the study so far (running ones included), test values removed. */
  history: readonly TrialRecord[];
  /** The id the new trial will get. */
  trialId: number;
  objective: Objective;
}

export interface Sampler {
  readonly name: string;
  /** True when the sampler can run out of configurations (grid): a search may then run without a trial budget. */
  readonly finite: boolean;
  /** The next trial's parameters, or null when the sampler has nothing left to try. */
  sample(req: SampleRequest): TrialParams | null;
}

/** Whether `value` is a point of parameter `name`'s range in `space` (history from another space is skipped). */
export function inSpace(space: SearchSpace, name: string, value: unknown): boolean {
  const s = space[name];
  if (!s) return false;
  if (s.kind === 'choice') return s.values.includes(value as never);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (s.kind === 'int' && !Number.isInteger(value)) return false;
  return value >= s.low && value <= s.high;
}
