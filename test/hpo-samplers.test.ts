// Samplers: grid enumerates in order, skips what the history holds and ends; random is seeded and in range; TPE's
// Parzen estimators match Optuna 3.1's kernels (and scipy's truncated-normal density), its ranking puts pruned
// trials below complete ones as Optuna does, it is deterministic, and it beats random search on a known objective.
import { describe, expect, it } from 'vitest';
import { GridSampler } from '../src/hpo/samplers/grid.ts';
import { defaultWeights, fitCategorical, fitNumeric, logPdf, normalMass, sampleParzen } from '../src/hpo/samplers/parzen.ts';
import { RandomSampler } from '../src/hpo/samplers/random.ts';
import type { Sampler } from '../src/hpo/samplers/sampler.ts';
import { rankTrials, TpeSampler } from '../src/hpo/samplers/tpe.ts';
import { createSampler, SAMPLER_NAMES } from '../src/hpo/samplers/index.ts';
import type { SearchSpace, TrialParams } from '../src/hpo/space.ts';
import type { Objective, TrialRecord } from '../src/hpo/trial.ts';
import { Rng } from '../src/random/rng.ts';

const objective: Objective = { name: 'valid-score', direction: 'maximize' };

function record(id: number, params: TrialParams, state: TrialRecord['state'], value?: number, intermediate: [number, number][] = []): TrialRecord {
  return {
    id, params, state, seeds: [0], budget: intermediate.length ? intermediate[intermediate.length - 1][0] : 0,
    intermediate: intermediate.map(([epoch, v]) => ({ epoch, value: v })),
    values: value === undefined ? {} : { 'valid-score': value }, seconds: 0,
  };
}

describe('grid sampler', () => {
  const space: SearchSpace = { a: { kind: 'choice', values: [1, 2] }, b: { kind: 'choice', values: ['x', 'y'] } };
  it('enumerates in order, skips points in the history, then answers null', () => {
    const g = new GridSampler();
    expect(g.size(space)).toBe(4);
    const history: TrialRecord[] = [];
    const got: TrialParams[] = [];
    for (let id = 0; ; id++) {
      const p = g.sample({ space, history, trialId: id, objective });
      if (p === null) break;
      got.push(p);
      history.push(record(id, p, id === 1 ? 'failed' : 'complete', 0.5));
    }
    expect(got).toEqual([{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }]);
    // A resumed search with points 0 and 2 done goes on with 1, then 3.
    const resumed = [record(0, { a: 1, b: 'x' }, 'complete', 1), record(1, { a: 2, b: 'x' }, 'pruned')];
    expect(g.sample({ space, history: resumed, trialId: 2, objective })).toEqual({ a: 1, b: 'y' });
  });
  it('refuses ranges', () => {
    expect(() => new GridSampler().sample({ space: { lr: { kind: 'uniform', low: 0, high: 1 } }, history: [], trialId: 0, objective })).toThrow('grid search: lr is a uniform range');
  });
});

describe('random sampler', () => {
  it('is seeded per trial id and stays in range', () => {
    const space: SearchSpace = { lr: { kind: 'loguniform', low: 1e-4, high: 1e-2 }, n: { kind: 'int', low: 3, high: 5 }, k: { kind: 'uniform', low: 0.2, high: 1 } };
    const a = new RandomSampler({ seed: 7 });
    const draws = Array.from({ length: 200 }, (_, id) => a.sample({ space, history: [], trialId: id, objective }));
    expect(new RandomSampler({ seed: 7 }).sample({ space, history: [], trialId: 13, objective })).toEqual(draws[13]);
    expect(new RandomSampler({ seed: 8 }).sample({ space, history: [], trialId: 13, objective })).not.toEqual(draws[13]);
    for (const d of draws) {
      expect(d.lr).toBeGreaterThanOrEqual(1e-4);
      expect(d.lr).toBeLessThanOrEqual(1e-2);
      expect([3, 4, 5]).toContain(d.n);
      expect(d.k).toBeGreaterThanOrEqual(0.2);
    }
    expect(new Set(draws.map((d) => d.n)).size).toBe(3);
  });
});

describe('Parzen estimators', () => {
  // Reference values printed by Optuna 3.1's _ParzenEstimator (consider_prior, magic clip, no endpoints) and
  // scipy.stats.truncnorm on this machine.
  it('numeric kernels match Optuna 3.1', () => {
    const a = fitNumeric([0.2, 0.9, 0.5], 0, 1, false, 1);
    expect(a.mus).toEqual([0.2, 0.9, 0.5, 0.5]);
    a.sigmas.forEach((s, i) => expect(s).toBeCloseTo([0.3, 0.4, 0.3, 1][i], 12));
    expect(a.weights).toEqual([0.25, 0.25, 0.25, 0.25]);
    // scipy: log mean of truncnorm.pdf over the four kernels.
    expect(logPdf(a, 0.3)).toBeCloseTo(0.10484945766824993, 6);
    expect(logPdf(a, 0.95)).toBeCloseTo(-0.22791590259587466, 6);
  });
  it('integer kernels widen the range by ½ and score the mass of [x − ½, x + ½], as Optuna 3.1', () => {
    const b = fitNumeric([3, 7], 0.5, 10.5, true, 1);
    expect(b.sigmas).toEqual([2.5, 2.5, 10]);
    expect(logPdf(b, 3)).toBeCloseTo(-2.18135389, 6);
    expect(logPdf(b, 5)).toBeCloseTo(-2.09822743, 6);
  });
  it('categorical kernels match Optuna 3.1', () => {
    const c = fitCategorical([0, 2, 2], 3, 1);
    [-1.09861229, -1.65822808, -0.74193734].forEach((v, x) => expect(logPdf(c, x)).toBeCloseTo(v, 7));
  });
  it('default weights ramp below the newest 25', () => {
    expect(defaultWeights(24)).toEqual(new Array(24).fill(1));
    const w = defaultWeights(30);
    [0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 12));
    expect(w.slice(5)).toEqual(new Array(25).fill(1));
  });
  it('draws stay inside the range and follow the mixture', () => {
    const p = fitNumeric([0.1, 0.12, 0.11], 0, 1, false, 1);
    const xs = sampleParzen(p, 2000, new Rng(1));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
    // P(x < 0.3) under the fitted mixture of truncated normals (≈ 0.585: two kernels σ 0.2 at 0.1, 0.11, one σ 0.38
    // at 0.12, the prior): the draws' share is within 3 standard errors.
    const expected = p.mus.reduce((s, mu, k) => {
      const sg = p.sigmas[k];
      return s + (p.weights[k] * normalMass((0 - mu) / sg, (0.3 - mu) / sg)) / normalMass((0 - mu) / sg, (1 - mu) / sg);
    }, 0);
    expect(expected).toBeCloseTo(0.585, 2);
    expect(Math.abs(xs.filter((x) => x < 0.3).length / xs.length - expected)).toBeLessThan(3 * Math.sqrt(0.25 / 2000));
  });
});

describe('TPE', () => {
  const space: SearchSpace = {
    lr: { kind: 'loguniform', low: 1e-5, high: 1e-1 },
    keep: { kind: 'uniform', low: 0, high: 1 },
    hidden: { kind: 'choice', values: [10, 30, 100, 300, 1000] },
    layers: { kind: 'int', low: 1, high: 4 },
  };
  // Best at lr = 1e-3, keep = 0.7, hidden = 100, layers = 2 (score 1).
  const score = (p: TrialParams) =>
    1 - (Math.log10(p.lr as number) + 3) ** 2 / 4 - (((p.keep as number) - 0.7) ** 2) - 0.1 * Math.abs(Math.log10(p.hidden as number) - 2) - 0.05 * Math.abs((p.layers as number) - 2);

  function run(sampler: Sampler, n: number): TrialRecord[] {
    const history: TrialRecord[] = [];
    for (let id = 0; id < n; id++) {
      const p = sampler.sample({ space, history, trialId: id, objective })!;
      history.push(record(id, p, 'complete', score(p)));
    }
    return history;
  }

  it('ranks complete trials first, then pruned ones by epochs trained and last value; skips running and failed', () => {
    const h = [
      record(0, {}, 'pruned', undefined, [[1, 0.9], [2, 0.95]]),
      record(1, {}, 'complete', 0.5),
      record(2, {}, 'pruned', undefined, [[1, 0.99]]),
      record(3, {}, 'complete', 0.7),
      record(4, {}, 'running', undefined, [[1, 1]]),
      record(5, {}, 'failed'),
      record(6, {}, 'pruned'),
      record(7, {}, 'pruned', undefined, [[1, 0.2], [2, 0.3]]),
    ];
    expect(rankTrials(h, 'valid-score', -1).map((r) => r.trial.id)).toEqual([3, 1, 0, 7, 2, 6]);
    expect(rankTrials(h, 'valid-score', 1).map((r) => r.trial.id)).toEqual([1, 3, 7, 0, 2, 6]);
  });

  it('starts with the random sampler and is deterministic for a seed', () => {
    const tpe = run(new TpeSampler({ seed: 3 }), 30);
    const rnd = run(new RandomSampler({ seed: 3 }), 10);
    expect(tpe.slice(0, 10).map((t) => t.params)).toEqual(rnd.map((t) => t.params));
    expect(run(new TpeSampler({ seed: 3 }), 30)).toEqual(tpe);
    expect(run(new TpeSampler({ seed: 4 }), 30)).not.toEqual(tpe);
    for (const t of tpe) {
      expect(Number.isInteger(t.params.layers)).toBe(true);
      expect(t.params.lr).toBeGreaterThanOrEqual(1e-5);
      expect(t.params.lr).toBeLessThanOrEqual(1e-1);
    }
  });

  it('beats random search on a known objective with the same budget (mean best over 5 seeds)', () => {
    const best = (s: Sampler) => Math.max(...run(s, 40).map((t) => t.values['valid-score']));
    const seeds = [0, 1, 2, 3, 4];
    const tpe = seeds.map((seed) => best(new TpeSampler({ seed })));
    const rnd = seeds.map((seed) => best(new RandomSampler({ seed })));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(tpe)).toBeGreaterThan(mean(rnd) + 0.03);
    // And TPE's later trials concentrate near the optimum: the mean score of trials 30-39 beats random's.
    const late = (s: Sampler) => mean(run(s, 40).slice(30).map((t) => t.values['valid-score']));
    expect(mean(seeds.map((seed) => late(new TpeSampler({ seed }))))).toBeGreaterThan(mean(seeds.map((seed) => late(new RandomSampler({ seed })))) + 0.2);
  });

  it('minimizes when asked', () => {
    const h: TrialRecord[] = [];
    const s = new TpeSampler({ seed: 0, nStartupTrials: 5 });
    const minObj: Objective = { name: 'valid-score', direction: 'minimize' };
    for (let id = 0; id < 30; id++) {
      const p = s.sample({ space, history: h, trialId: id, objective: minObj });
      h.push(record(id, p, 'complete', -score(p)));
    }
    expect(Math.min(...h.slice(20).map((t) => t.values['valid-score']))).toBeLessThan(-0.8);
  });
});

describe('samplers by name', () => {
  it('builds each and names an unknown one', () => {
    expect(SAMPLER_NAMES.map((n) => createSampler(n, { seed: 1 }).name)).toEqual(['grid', 'random', 'tpe']);
    expect((createSampler('tpe', { seed: 2, nStartupTrials: 4 }) as TpeSampler).nStartupTrials).toBe(4);
    expect(() => createSampler('cmaes')).toThrow('unknown sampler "cmaes": use grid, random, tpe');
  });
});
