// Search: the book's grids enumerate as the chapter lists them, random search is seeded and in range, failures are
// recorded without stopping the search, ranking uses the validation score only, and batches reach the evaluator.
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../src/hpo/presets.ts';
import { runSearch, type Evaluator } from '../src/hpo/search.ts';
import { gridPoints, randomPoints } from '../src/hpo/space.ts';
import { gridSearch, randomSearch } from '../src/hpo/strategy.ts';

describe('search spaces', () => {
  it('the book grids have 4 and 12 configurations', () => {
    expect(gridPoints(PRESETS.simple)).toHaveLength(4);
    const hidden = gridPoints(PRESETS.hidden);
    expect(hidden).toHaveLength(12);
    expect(hidden[0]).toEqual({ nHidden: 30, nEpochs: 15, keepProb: 0.5, nLayers: 1 });
    expect(new Set(hidden.map((p) => JSON.stringify(p))).size).toBe(12);
  });

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

describe('runSearch', () => {
  // A fake evaluator: valid score = nHidden/100 + seed/1000; test score opposite, to catch selection on test.
  const fake: Evaluator = async (batch) => batch.map(({ params, seed }) => {
    if (params.nLayers === 2 && params.nHidden === 60) return { status: 'failed', valid: Number.NaN, test: Number.NaN, error: 'loss is NaN' };
    return { status: 'ok', valid: (params.nHidden as number) / 100 + seed / 1000, test: 1 - (params.nHidden as number) / 100 };
  });

  it('ranks by mean valid score over reps, records failures and goes on', async () => {
    const seen: number[] = [];
    const r = await runSearch({ strategy: gridSearch(PRESETS.hidden), evaluate: async (b) => { seen.push(b.length); return fake(b); }, reps: 3, batch: 4 });
    expect(r.trials).toHaveLength(12);
    expect(seen).toEqual([12, 12, 12]); // 4 configurations × 3 reps per call
    expect(r.trials.filter((t) => t.status === 'failed')).toHaveLength(3);
    expect(r.best!.params.nHidden).toBe(60);
    expect(r.best!.params.nLayers).toBe(1);
    expect(r.best!.valid.mean).toBeCloseTo(0.601, 10);
    expect(r.best!.valid.sd).toBeCloseTo(0.001, 10);
    expect(r.trials[r.trials.length - 1].status).toBe('failed');
  });

  it('an evaluator that throws fails its trials, not the search', async () => {
    let calls = 0;
    const r = await runSearch({
      strategy: randomSearch(PRESETS['random-lr'], 3, 0),
      evaluate: async (b) => { if (calls++ === 1) throw new Error('device lost'); return b.map(() => ({ status: 'ok' as const, valid: 0.5, test: 0.5 })); },
    });
    expect(r.trials.map((t) => t.status).sort()).toEqual(['failed', 'ok', 'ok']);
    expect(r.trials.find((t) => t.status === 'failed')!.runs[0].error).toBe('device lost');
  });
});
