// Search: the book's grids enumerate as the chapter lists them, random search is seeded and in range; the one search
// engine runs the book's grid with repetitions, records failures without stopping, chooses on validation only, and
// trains configurations together in pools.
import { describe, expect, it } from 'vitest';
import { runStudySearch } from '../src/hpo/runner.ts';
import { GridSampler } from '../src/hpo/samplers/grid.ts';
import { RandomSampler } from '../src/hpo/samplers/random.ts';
import { gridPoints, type SearchSpace, type TrialParams } from '../src/hpo/space.ts';
import type { Objective } from '../src/hpo/trial.ts';
import { PRESETS } from '../src/tox21/presets.ts';
import { retrain } from '../src/tox21/search.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { FakePool, type Curve } from './helpers/hpo-fake-pool.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

describe('search spaces', () => {
  it('the book grids have 4 and 12 configurations', () => {
    expect(gridPoints(PRESETS.simple)).toHaveLength(4);
    const hidden = gridPoints(PRESETS.hidden);
    expect(hidden).toHaveLength(12);
    expect(hidden[0]).toEqual({ nHidden: 30, nEpochs: 15, keepProb: 0.5, nLayers: 1 });
    expect(new Set(hidden.map((p) => JSON.stringify(p))).size).toBe(12);
  });

  // The random sampler's draws for trials 0 … n − 1 of a space.
  const randomPoints = (space: SearchSpace, n: number, seed: number) => {
    const sampler = new RandomSampler({ seed });
    return Array.from({ length: n }, (_, trialId) => sampler.sample({ space, history: [], trialId, objective: { name: 'valid', direction: 'maximize' } }));
  };

  it('random learning rates are 10^-U(1, 6), reproducible for a seed', () => {
    const a = randomPoints(PRESETS['random-lr'], 500, 1);
    expect(randomPoints(PRESETS['random-lr'], 500, 1)).toEqual(a);
    expect(randomPoints(PRESETS['random-lr'], 500, 2)).not.toEqual(a);
    const exps = a.map((p) => -Math.log10(p.learningRate as number));
    expect(Math.min(...exps)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...exps)).toBeLessThanOrEqual(6);
    // Uniform in the exponent: each unit interval holds about a fifth.
    for (let e = 1; e < 6; e++) expect(exps.filter((x) => x >= e && x < e + 1).length).toBeGreaterThan(60);
  });

  it('bad spaces name the parameter', () => {
    expect(() => gridPoints({ lr: { kind: 'uniform', low: 0, high: 1 } })).toThrow('grid search: lr is a uniform range');
    expect(() => randomPoints({ lr: { kind: 'loguniform', low: 0, high: 1 } }, 1, 0)).toThrow('lr is log-uniform, so low must be > 0');
    expect(() => randomPoints({ n: { kind: 'choice', values: [] } }, 1, 0)).toThrow('n has no choices');
  });
});

describe("the book's grid on the search engine", () => {
  const objective: Objective = { name: 'valid', direction: 'maximize' };
  // A fake network: valid score = nHidden/100 + seed/1000; test score the opposite, to catch selection on test.
  const curve: Curve = (params, _epoch, seed) => {
    if (params.nLayers === 2 && params.nHidden === 60 && seed === 0) return { fail: 'loss is NaN' };
    const scores: Record<string, number> = { valid: (params.nHidden as number) / 100 + seed / 1000, test: 1 - (params.nHidden as number) / 100 };
    return scores;
  };

  it('ranks by mean valid score over reps, records failures and goes on; configurations train together', async () => {
    const made: FakePool[] = [];
    const r = await runStudySearch({
      space: PRESETS.hidden, sampler: new GridSampler(), objective, reps: 3, epochs: 2, maxPools: 1,
      makePool: (p: TrialParams) => {
        const pool = new FakePool({ capacity: 12, curve }, p); // 4 configurations × 3 reps per pool
        made.push(pool);
        return pool;
      },
    });
    expect(r.trials).toHaveLength(12);
    expect(r.stopped).toBe('exhausted');
    expect(r.trials.filter((t) => t.state === 'failed').map((t) => t.reason)).toEqual(['seed 0: loss is NaN', 'seed 0: loss is NaN', 'seed 0: loss is NaN']);
    expect(r.trials.filter((t) => t.state === 'complete')).toHaveLength(9);
    expect(r.best!.params.nHidden).toBe(60);
    expect(r.best!.params.nLayers).toBe(1);
    expect(r.best!.values.valid).toBeCloseTo(0.601, 10);
    expect(r.best!.valuesSd!.valid).toBeCloseTo(0.001, 10);
    expect(r.best!.seeds).toEqual([0, 1, 2]);
    // The pool trained 4 configurations' 12 members at once, then was refilled as they finished.
    expect(r.population).toBe(12);
    expect(made[0].log.filter((l) => l.startsWith('add'))).toHaveLength(36);
  });

  it('a pool step that throws fails its trials, not the search', async () => {
    let steps = 0;
    const r = await runStudySearch({
      space: PRESETS['random-lr'], sampler: new RandomSampler({ seed: 0 }), objective, nTrials: 3, epochs: 1,
      makePool: (p: TrialParams) => new FakePool({
        capacity: 1, curve: () => ({ valid: 0.5, test: 0.5 }),
        onStep: () => {
          if (steps++ === 1) throw new Error('device lost');
        },
      }, p),
    });
    expect(r.trials.map((t) => t.state)).toEqual(['complete', 'failed', 'complete']);
    expect(r.trials[1].reason).toBe('device lost');
    expect(r.best!.id).toBe(0);
  });
});

describe('retraining the chosen configuration', () => {
  it('honours the population (--population): one model at a time, or all seeds at once, with the same scores', async () => {
    const be = new CpuBackend('f64');
    const data = syntheticMolecules(120, 48, 2, 3);
    const params = { nHidden: 8, nEpochs: 2, batchSize: 30 };
    const solo = await retrain(be, data, params, { task: 'T0', seeds: [100, 101, 102], population: 1 });
    const together = await retrain(be, data, params, { task: 'T0', seeds: [100, 101, 102], population: 3 });
    expect(solo.runs.map((r) => r.population)).toEqual([1, 1, 1]);
    expect(together.runs.map((r) => r.population)).toEqual([3, 3, 3]);
    // A population member is its solo run (float64 on the CPU): the summaries agree.
    expect(together.valid.wacc.mean).toBeCloseTo(solo.valid.wacc.mean, 9);
    expect(together.test.wacc.sd).toBeCloseTo(solo.test.wacc.sd, 9);
    await expect(retrain(be, data, params, { task: 'T0', seeds: [1], population: 0 })).rejects.toThrow('--population must be a positive integer, got 0');
  });
});
