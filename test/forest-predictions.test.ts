// The forest baseline with its probabilities kept: the same fit as runTaskBaseline (so its scores are unchanged),
// one column per task in the split's row order, the injected fitter doing the growing, and scores recomputed from
// the kept probabilities agreeing with the baseline's own. Synthetic molecules keep it fast.
import { describe, expect, it } from 'vitest';
import { selectRows } from '../src/data/sparse-bits.ts';
import { RandomForest } from '../src/forest/forest.ts';
import type { ForestOptions } from '../src/forest/options.ts';
import { TreePool } from '../src/forest/tree-pool.ts';
import { BOOK_FOREST, runTaskBaseline, trainingRows, taskColumn, type ForestFitter } from '../src/forest/tox21-baseline.ts';
import { forestPredictions, forestSeeds, forestTasks, STRONG_FOREST } from '../src/tox21/forest-predictions.ts';
import { evalTargets, scorePredictions } from '../src/tox21/split-predictions.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

const { dataset, split } = syntheticMolecules(240, 48, 3, 5);
const here: ForestFitter = (x, y, o) => RandomForest.fit(x, y, o);

describe('forest predictions', () => {
  it('keeps each task\'s probabilities, in split order, from the forest runTaskBaseline fits', async () => {
    const calls: ForestOptions[] = [];
    const counting: ForestFitter = (x, y, o) => (calls.push(o), RandomForest.fit(x, y, o));
    const done: string[] = [];
    const run = await forestPredictions(dataset, split, 'all', { seed: 3, trees: 7, fit: counting, onTask: (t, k, n) => done.push(`${t} ${k}/${n}`) });
    expect(run.predictions.tasks).toEqual(['T0', 'T1', 'T2']);
    expect(run.predictions.valid.length).toBe(split.valid.length * 3);
    expect(run.predictions.test.length).toBe(split.test.length * 3);
    expect(calls).toEqual([0, 1, 2].map(() => ({ ...BOOK_FOREST, nEstimators: 7, seed: 3 })));
    expect(done).toEqual(['T0 1/3', 'T1 2/3', 'T2 3/3']);
    expect(run).toMatchObject({ seed: 3, trees: 7 });

    // Task 1's forest fitted independently, as the book's protocol does: every training row, missing → negative.
    const rows = trainingRows(dataset, split, 1, false);
    const forest = RandomForest.fit(selectRows(dataset.features, rows), Uint8Array.from(taskColumn(dataset.y, 3, 1, rows)), { ...BOOK_FOREST, nEstimators: 7, seed: 3 });
    const p = forest.predictProba(selectRows(dataset.features, split.test));
    const column = Array.from({ length: split.test.length }, (_, r) => run.predictions.test[r * 3 + 1]);
    expect(column).toEqual(Array.from(Float32Array.from(p)));
    expect(new Set(column).size).toBeGreaterThan(2); // real probabilities, not a constant

    // The baseline's metrics are runTaskBaseline's own, and agree with scores recomputed from the kept predictions.
    const direct = await runTaskBaseline(dataset, split, 'T1', { forest: { ...BOOK_FOREST, nEstimators: 7, seed: 3 }, labeledOnly: false }, here);
    expect(run.baselines[1].metrics).toEqual(direct.metrics);
    const scored = scorePredictions(run.predictions, evalTargets(dataset, split));
    for (const [j, task] of ['T0', 'T1', 'T2'].entries()) {
      for (const s of ['valid', 'test'] as const) {
        const b = run.baselines[j].metrics[s];
        expect(scored[s].perTask[task].auc).toBeCloseTo(b.rocAuc, 6);
        expect(scored[s].perTask[task].wacc).toBeCloseTo(b.weightedAccuracy, 6);
      }
    }
  });

  it('one task gives one column; seeds give different forests, the same seed the same one', async () => {
    const one = await forestPredictions(dataset, split, 'T2', { seed: 0, trees: 4, fit: here });
    expect(one.predictions.tasks).toEqual(['T2']);
    expect(one.predictions.valid.length).toBe(split.valid.length);
    const seen: number[] = [];
    const runs = await forestSeeds(dataset, split, 'T2', { seeds: [0, 1], trees: 4, fit: here, onSeed: (s) => seen.push(s) });
    expect(seen).toEqual([0, 1]);
    expect(Array.from(runs[0].predictions.valid)).toEqual(Array.from(one.predictions.valid));
    expect(Array.from(runs[1].predictions.valid)).not.toEqual(Array.from(one.predictions.valid));
    expect(STRONG_FOREST).toMatchObject({ nEstimators: 200, classWeight: 'balanced', maxFeatures: 'sqrt' });
  });

  it('a thread pool passed as the fitter grows the same forests', async () => {
    const pool = new TreePool(2);
    try {
      const pooled = await forestPredictions(dataset, split, 'all', { seed: 2, trees: 6, fit: (x, y, o) => pool.fit(x, y, o) });
      const inline = await forestPredictions(dataset, split, 'all', { seed: 2, trees: 6, fit: here });
      expect(Array.from(pooled.predictions.valid)).toEqual(Array.from(inline.predictions.valid));
      expect(Array.from(pooled.predictions.test)).toEqual(Array.from(inline.predictions.test));
      expect(pool.treesPerThread.reduce((a, b) => a + b, 0)).toBe(6);
    } finally {
      await pool.close();
    }
  });

  it('names an unknown task, and refuses no seeds', async () => {
    expect(() => forestTasks(dataset, 'NR-AR')).toThrow('unknown task "NR-AR"; the dataset has T0, T1, T2');
    await expect(forestPredictions(dataset, split, 'NR-AR', { seed: 0, fit: here })).rejects.toThrow('unknown task "NR-AR"');
    await expect(forestSeeds(dataset, split, 'all', { seeds: [], fit: here })).rejects.toThrow('no seeds');
  });
});
