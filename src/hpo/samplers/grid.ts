/**
 * Grid search: every combination of the choice parameters, in the order `gridPoints` lists them (row-major in the
 * space's key order); each trial takes the first point no trial of the history has yet, so a resumed search goes
 * on where it stopped and a point is never run twice. Finite: it answers null once every point was tried.
 * Unlike Optuna's GridSampler, which visits points in random order, the order is the book's.
 */
import { gridPoints, type SearchSpace, type TrialParams } from '../space.ts';
import type { SampleRequest, Sampler } from './sampler.ts';

export class GridSampler implements Sampler {
  readonly name = 'grid';
  readonly finite = true;
  private cache: { space: SearchSpace; points: TrialParams[]; keys: string[] } | null = null;

  /** The number of points of a space's grid. */
  size(space: SearchSpace): number {
    return this.points(space).points.length;
  }

  sample(req: SampleRequest): TrialParams | null {
    const { points, keys } = this.points(req.space);
    const key = (p: TrialParams) => JSON.stringify(keys.map((k) => p[k]));
    const tried = new Set(req.history.map((t) => key(t.params)));
    return points.find((p) => !tried.has(key(p))) ?? null;
  }

  private points(space: SearchSpace): { points: TrialParams[]; keys: string[] } {
    if (this.cache?.space !== space) this.cache = { space, points: gridPoints(space), keys: Object.keys(space) };
    return this.cache;
  }
}
