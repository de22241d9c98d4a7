/**
 * Search strategies hand out trials in batches (`ask(n)`), so an evaluator may train several at once on the GPU,
 * and hear back their scores (`tell`), so adaptive strategies can build on them. Grid and random search ignore
 * what they are told.
 */
import { gridPoints, randomPoints, type SearchSpace, type TrialParams } from './space.ts';

export interface Strategy {
  readonly name: string;
  /** Up to n new configurations; an empty list when the strategy is done. */
  ask(n: number): TrialParams[];
  tell(results: { params: TrialParams; score: number }[]): void;
}

/** Hands out a fixed list of points in order. */
class ListStrategy implements Strategy {
  private next = 0;
  constructor(readonly name: string, private readonly points: TrialParams[]) {}
  ask(n: number): TrialParams[] {
    const out = this.points.slice(this.next, this.next + n);
    this.next += out.length;
    return out;
  }
  tell(): void {}
  get total(): number {
    return this.points.length;
  }
}

export function gridSearch(space: SearchSpace): Strategy & { total: number } {
  return new ListStrategy('grid', gridPoints(space));
}

export function randomSearch(space: SearchSpace, trials: number, seed: number): Strategy & { total: number } {
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`random search: trials must be a positive integer, got ${trials}`);
  return new ListStrategy('random', randomPoints(space, trials, seed));
}
