/**
 * A search space: each hyperparameter is a list of choices, a uniform or log-uniform range, or an integer range.
 * Grid search enumerates choices (gridPoints); random search (samplers/random.ts) draws every kind with sampleParam.
 */
import type { Rng } from '../random/rng.ts';

export type ParamSpec =
  | { kind: 'choice'; values: readonly (number | boolean | string)[] }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'loguniform'; low: number; high: number }
  | { kind: 'int'; low: number; high: number };

export type SearchSpace = Record<string, ParamSpec>;
export type TrialParams = Record<string, number | boolean | string>;

export function checkSpace(space: SearchSpace): void {
  for (const [name, s] of Object.entries(space)) {
    if (s.kind === 'choice') {
      if (s.values.length === 0) throw new RangeError(`search space: ${name} has no choices`);
    } else if (!(Number.isFinite(s.low) && Number.isFinite(s.high) && s.low <= s.high)) {
      throw new RangeError(`search space: ${name} needs finite low ≤ high, got [${s.low}, ${s.high}]`);
    } else if (s.kind === 'loguniform' && s.low <= 0) {
      throw new RangeError(`search space: ${name} is log-uniform, so low must be > 0, got ${s.low}`);
    } else if (s.kind === 'int' && !(Number.isInteger(s.low) && Number.isInteger(s.high))) {
      throw new RangeError(`search space: ${name} is an integer range, got [${s.low}, ${s.high}]`);
    }
  }
}

export function sampleParam(s: ParamSpec, rng: Rng): number | boolean | string {
  switch (s.kind) {
    case 'choice': return s.values[rng.int(s.values.length)];
    case 'uniform': return s.low + (s.high - s.low) * rng.float();
    case 'loguniform': return Math.exp(Math.log(s.low) + (Math.log(s.high) - Math.log(s.low)) * rng.float());
    case 'int': return s.low + rng.int(s.high - s.low + 1);
  }
}

/** Every combination of the choice parameters, in row-major order of the space's keys. */
export function gridPoints(space: SearchSpace): TrialParams[] {
  checkSpace(space);
  let points: TrialParams[] = [{}];
  for (const [name, s] of Object.entries(space)) {
    if (s.kind !== 'choice') throw new RangeError(`grid search: ${name} is a ${s.kind} range; grid search needs choices (use random search)`);
    points = points.flatMap((p) => s.values.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

/** `name=value, …` with non-integers to 3 significant digits: how configurations are shown in tables and logs. */
export function paramText(p: TrialParams): string {
  return Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(3) : v}`).join(', ');
}
