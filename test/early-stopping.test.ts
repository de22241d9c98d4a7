// Early stopping keeps the best epoch's weights: on the CPU in float64 the kept weights of a member that stopped
// early are bit-identical to those of a run trained for exactly that many epochs — in a population beside members
// that do not stop early, through compaction (members leaving), and in a search's trial pool — and its predictions
// and scores are that run's. The multitask objective is the mean of the per-task AUCs, and a trial carries the
// mean of its seeds' probabilities (detail.predictions) with the epochs kept.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { createSampler } from '../src/hpo/samplers/index.ts';
import { evalTox21Population, withDefaults, type RunSpec } from '../src/tox21/eval-hyperparams.ts';
import type { FcnHyperparams } from '../src/tox21/hyperparams.ts';
import { Tox21Population, type GroupShape, type MemberSpec } from '../src/tox21/population.ts';
import { runTox21Search } from '../src/tox21/search.ts';
import { evalTargets, meanPredictions, scoreSplit, trialPredictions } from '../src/tox21/split-predictions.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

const data = syntheticMolecules(160, 48, 3, 7);
const EPOCHS = 6;
// A high learning rate on a small set: the validation AUC peaks before the last epoch (asserted, not assumed).
const EARLY: MemberSpec = { seed: 21, nHidden: 12, learningRate: 3e-2, keepProb: 0.8, nEpochs: EPOCHS, earlyStopping: true, weightDecay: 1e-3 };
const PLAIN: MemberSpec = { seed: 22, nHidden: 9, learningRate: 1e-2, keepProb: 1, nEpochs: 4 };

describe('early stopping', () => {
  it('keeps the best validation epoch, bit-identical to a run stopped there (CPU float64, in a population)', async () => {
    const be = new CpuBackend('f64');
    const shape: GroupShape = { task: 'all', mode: 'modern', nLayers: 1, batchSize: 20, weightPositives: true, init: 'deepchem' };
    const pop = new Tox21Population(be, data, shape, [EARLY, PLAIN], { dataSeed: 3 });
    const aucs: number[] = [];
    while (pop.trainer.running() > 0) {
      const e = await pop.epoch();
      const scores = await pop.score(['valid']);
      if (e.trained.includes(0)) aucs.push(scores[0].metrics.valid.rocAuc);
      await pop.track(scores, e.trained);
    }
    const best = aucs.indexOf(Math.max(...aucs)) + 1;
    expect(aucs).toHaveLength(EPOCHS);
    expect(best, `valid AUC by epoch ${aucs.map((a) => a.toFixed(4)).join(' ')}`).toBeLessThan(EPOCHS);
    expect(pop.keptEpoch(0)).toBe(best);
    expect(pop.keptEpoch(1)).toBe(PLAIN.nEpochs); // no early stopping: its last epoch
    expect(pop.restoreBest([0, 1])).toEqual([0]);
    const kept = await pop.net.modelWeights(0);
    const keptScores = (await pop.score())[0];
    const keptPredictions = (await pop.predictions([0]))[0];

    const stopped = new Tox21Population(be, data, shape, [{ ...EARLY, nEpochs: best, earlyStopping: false }], { dataSeed: 3 });
    await stopped.trainer.fit();
    const there = await stopped.net.modelWeights(0);
    kept.forEach((w, i) => expect(Array.from(w), `parameter ${i}`).toEqual(Array.from(there[i])));
    expect(keptScores).toEqual((await stopped.score())[0]);
    expect(keptPredictions).toEqual((await stopped.predictions([0]))[0]);
    pop.dispose();
    stopped.dispose();
  });

  it('evalTox21Population: every run carries its kept epoch and predictions; the multitask AUC is the mean over tasks', async () => {
    const be = new CpuBackend('f64');
    const h: FcnHyperparams = { nHidden: 12, nLayers: 1, learningRate: 3e-2, keepProb: 0.8, nEpochs: EPOCHS, batchSize: 20, weightPositives: true, init: 'deepchem', earlyStopping: true, weightDecay: 1e-3 };
    // A shorter member finishes first and leaves (compaction renumbers the slots of the others).
    const runs: RunSpec[] = [
      { h, mode: 'modern', seed: 21, task: 'all' },
      { h: { ...h, nEpochs: 3 }, mode: 'modern', seed: 23, task: 'all' },
      { h: { ...h, earlyStopping: false }, mode: 'modern', seed: 24, task: 'all' },
    ];
    const results = await evalTox21Population(be, data, runs, { dataSeed: 3, maxModels: 3 });
    expect(results.map((r) => r.population)).toEqual([3, 3, 3]);
    expect(results[2].bestEpoch).toBe(EPOCHS);
    const targets = evalTargets(data.dataset, data.split);
    for (const [i, r] of results.entries()) {
      const p = r.predictions!;
      expect(p.tasks).toEqual(data.dataset.tasks);
      expect(p.valid.length).toBe(data.split.valid.length * 3);
      expect(p.test.length).toBe(data.split.test.length * 3);
      // The run's mean validation AUC is the mean of its per-task AUCs, and the predictions score the same.
      const perTask = Object.values(r.tasks!).map((t) => t.valid.rocAuc);
      expect(r.metrics.valid.rocAuc).toBeCloseTo(perTask.reduce((a, v) => a + v, 0) / perTask.length, 12);
      expect(scoreSplit(p.valid, targets.valid).auc).toBeCloseTo(r.metrics.valid.rocAuc, 12);
      expect(scoreSplit(p.test, targets.test).auc).toBeCloseTo(r.metrics.test.rocAuc, 12);
      // Trained for exactly the kept epochs (same batches: the data seed is shared), the run is the same.
      const [there] = await evalTox21Population(be, data, [{ ...runs[i], h: { ...runs[i].h, nEpochs: r.bestEpoch!, earlyStopping: false } }], { dataSeed: 3, maxModels: 1 });
      expect(Array.from(p.valid)).toEqual(Array.from(there.predictions!.valid));
      expect(Array.from(p.test)).toEqual(Array.from(there.predictions!.test));
      expect(r.metrics).toEqual(there.metrics);
    }
    expect(results[0].bestEpoch).toBeLessThan(EPOCHS);
  });

  it('a search trial keeps the mean of its seeds\' probabilities and per-task values (task all, valid-auc)', async () => {
    const be = new CpuBackend('f64');
    const base: Partial<FcnHyperparams> = { nHidden: 12, nLayers: 1, learningRate: 3e-2, keepProb: 0.8, nEpochs: 6, batchSize: 20, weightDecay: 1e-3 };
    const space = { earlyStopping: { kind: 'choice' as const, values: [true, false] }, init: { kind: 'choice' as const, values: ['deepchem'] } };
    const r = await runTox21Search(be, data, {
      space, sampler: createSampler('grid', { seed: 1 }), objective: { name: 'valid-auc', direction: 'maximize' },
      reps: 2, seed0: 40, task: 'all', base, mode: 'modern', population: 4,
    });
    expect(r.backend).toBe(be);
    expect(r.trials.map((t) => t.state)).toEqual(['complete', 'complete']);
    for (const t of r.trials) {
      const h = withDefaults({ ...base, init: 'deepchem', earlyStopping: t.params.earlyStopping as boolean });
      const runs = await evalTox21Population(be, data, [40, 41].map((seed) => ({ h, mode: 'modern' as const, seed, task: 'all' })), { dataSeed: 40, maxModels: 2 });
      const mean = meanPredictions(runs.map((x) => x.predictions!));
      const got = trialPredictions(t)!;
      expect(Array.from(got.valid)).toEqual(Array.from(mean.valid));
      expect(Array.from(got.test)).toEqual(Array.from(mean.test));
      expect(t.detail!.bestEpochs).toEqual(runs.map((x) => x.bestEpoch));
      expect(t.values['valid-auc']).toBeCloseTo((runs[0].metrics.valid.rocAuc + runs[1].metrics.valid.rocAuc) / 2, 12);
      const perTask = data.dataset.tasks.map((task) => t.values[`valid-auc/${task}`]);
      expect(perTask.every(Number.isFinite)).toBe(true);
      expect(t.values['valid-auc']).toBeCloseTo(perTask.reduce((a, v) => a + v, 0) / perTask.length, 12);
      expect(Object.keys(t.values).some((k) => k.startsWith('train-') && k.includes('/'))).toBe(false);
      // The early-stopping trial went back to an earlier epoch for some seed (so the pool's restore was exercised).
      if (t.params.earlyStopping) expect(Math.min(...(t.detail!.bestEpochs as number[]))).toBeLessThan(6);
      else expect(t.detail!.bestEpochs).toEqual([6, 6]);
    }
  });
});
