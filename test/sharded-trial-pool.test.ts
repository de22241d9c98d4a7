// Sharded trial pools (src/tox21/sharded-trial-pool.ts): a search whose pools spread their members over worker
// threads records the same trials, bit for bit, as on one thread — with a pruner that stops some, so stop reaches
// the right thread and the loop records in the same order; a member equals its solo run even when it joins late,
// in shuffled (modern) training too; an error in a worker fails the pool's trials with the worker's message; and a
// process whose search used the threads exits by itself. Underneath, a worker session answers calls in order, keeps
// the error's class, and rejects every call once its worker dies.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { createPruner } from '../src/hpo/pruners/index.ts';
import { createSampler } from '../src/hpo/samplers/index.ts';
import type { SearchSpace } from '../src/hpo/space.ts';
import type { MemberEpoch, TrialRecord } from '../src/hpo/trial.ts';
import { evalTox21Hyperparams, evalTox21Population, type FcnResult } from '../src/tox21/eval-hyperparams.ts';
import type { FcnHyperparams, TrainingMode } from '../src/tox21/hyperparams.ts';
import { closePoolThreads, evalOnThreads, poolThreadCount, shardedTrialPool } from '../src/tox21/pool-threads.ts';
import { evalRuns, runTox21Search } from '../src/tox21/search.ts';
import { trialPredictions } from '../src/tox21/split-predictions.ts';
import { Tox21TrialPool } from '../src/tox21/trial-pool.ts';
import { spawnNodeWorker } from '../src/workers/node-transport.ts';
import { WorkerSession } from '../src/workers/session.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

const root = new URL('..', import.meta.url).pathname;
const data = syntheticMolecules(400, 96, 2, 11);
const BASE: Partial<FcnHyperparams> = { nEpochs: 5, batchSize: 40, nLayers: 1 };
// Widths 6, 12 and 20: each its own population in one thread, members of several widths in each shard.
const SPACE: SearchSpace = {
  nHidden: { kind: 'choice', values: [6, 12, 20] },
  learningRate: { kind: 'choice', values: [3e-3, 3e-2] },
  keepProb: { kind: 'choice', values: [0.5, 1] },
};

afterAll(() => closePoolThreads());

async function search(mode: TrainingMode, threads: number, o: { population?: number; task?: string } = {}) {
  return runTox21Search(new CpuBackend('f32'), data, {
    space: SPACE, sampler: createSampler('grid', { seed: 1 }), pruner: createPruner('median', { maxEpochs: 5, minEpochs: 1 }),
    objective: { name: 'valid-wacc', direction: 'maximize' }, reps: 2, seed0: 7, task: o.task ?? 'T0', base: BASE, mode,
    population: o.population ?? 6, threads,
  });
}

/** A trial without what depends on the clock. */
function timeless(t: TrialRecord) {
  const { startedAt: _s, endedAt: _e, ...detail } = t.detail ?? {};
  return { ...t, seconds: 0, detail };
}

describe('a search on sharded pools', () => {
  it('records the same trials on 2 threads as on the calling thread (book mode, median pruning)', async () => {
    const one = await search('book', 1);
    const two = await search('book', 2);
    expect(poolThreadCount()).toBeGreaterThanOrEqual(2);
    expect(one.trials.filter((t) => t.state === 'pruned').length).toBeGreaterThan(0);
    expect(one.trials.filter((t) => t.state === 'complete').length).toBeGreaterThan(0);
    expect(two.trials.map(timeless)).toEqual(one.trials.map(timeless));
    // Each complete trial kept its seeds' mean predictions and epochs, as the in-process pool does.
    for (const t of two.trials.filter((x) => x.state === 'complete')) {
      expect(trialPredictions(t)!.valid.length).toBe(data.split.valid.length);
      expect(t.detail!.bestEpochs).toEqual([5, 5]);
    }
    expect(two.population).toBeGreaterThan(1);
    expect(two.packing.paddedFraction).toBe(0);
  }, 60_000);

  it('records the same trials on 2 and 3 threads with shuffled batches (modern mode), members alone in their thread', async () => {
    const two = await search('modern', 2);
    const three = await search('modern', 3);
    expect(two.trials.filter((t) => t.state === 'pruned').length).toBeGreaterThan(0);
    expect(three.trials.map(timeless)).toEqual(two.trials.map(timeless));
  }, 60_000);

  it('fails the pool\'s trials with the worker\'s error, as the in-process pool does', async () => {
    const inProcess = await search('book', 1, { task: 'NOPE', population: 4 });
    const sharded = await search('book', 2, { task: 'NOPE', population: 4 });
    const reasons = (r: typeof sharded) => [...new Set(r.trials.map((t) => `${t.state}: ${t.reason}`))];
    expect(reasons(inProcess)).toEqual(['failed: unknown task "NOPE"; the dataset has T0, T1 (or use \'all\')']);
    expect(reasons(sharded)).toEqual(reasons(inProcess));
  }, 60_000);
});

describe('a member of a sharded pool', () => {
  it.each(['modern', 'book'] as const)('equals its solo run, also when it joins after others trained (%s mode)', async (mode) => {
    const h = (nHidden: number, learningRate: number) => ({ nHidden, learningRate, keepProb: 0.7, nLayers: 1, batchSize: 30 });
    const pool = shardedTrialPool(data, h(10, 1e-2), { task: 'T0', capacity: 4, width: 16, dataSeed: 3, mode, objective: 'valid-auc' }, 2);
    const members = [
      { trialId: 0, seed: 1, params: h(10, 1e-2), epochs: 2 },
      { trialId: 1, seed: 2, params: h(16, 3e-3), epochs: 4 },
      { trialId: 2, seed: 3, params: h(6, 2e-2), epochs: 3 },
    ];
    // Goes to trial 0's freed thread, where trial 2's population of width 6 trains (in book mode it joins it).
    const late = { trialId: 3, seed: 4, params: h(6, 1e-2), epochs: 3 };
    for (const m of members) pool.add(m);
    expect([pool.freeSlots(), pool.running()]).toEqual([1, 3]);
    const last = new Map<number, MemberEpoch>();
    let step = 0;
    while (pool.running() > 0) {
      const out = await pool.step();
      expect(out.map((e) => [e.trialId, e.seed])).toEqual([...out].sort((a, b) => a.trialId - b.trialId).map((e) => [e.trialId, e.seed]));
      for (const e of out) last.set(e.trialId, e);
      if (++step === 2) pool.add(late); // trial 0 finished: its slot takes a member that starts two epochs late
    }
    pool.dispose();
    for (const m of [...members, late]) {
      const solo = await evalTox21Hyperparams(new CpuBackend('f32'), data, { ...m.params, nEpochs: m.epochs, seed: m.seed, dataSeed: 3, mode, task: 'T0' });
      const e = last.get(m.trialId)!;
      expect(e.done).toBe(true);
      expect(e.epoch).toBe(m.epochs);
      expect(e.values.loss, `trial ${m.trialId}`).toBe(solo.lossCurve.at(-1));
      expect(e.values['valid-auc']).toBe(solo.metrics.valid.rocAuc);
      expect(e.values['test-wacc']).toBe(solo.metrics.test.weightedAccuracy);
      const p = trialPredictions({ detail: e.detail } as TrialRecord)!;
      expect(Array.from(p.valid)).toEqual(Array.from(solo.predictions!.valid));
      expect(Array.from(p.test)).toEqual(Array.from(solo.predictions!.test));
    }
  }, 60_000);
});

describe('a member of an in-process pool', () => {
  it('equals its solo run with shuffled batches: one joining after its pool trained starts a population of its own', async () => {
    const h = (nHidden: number, learningRate: number) => ({ nHidden, learningRate, keepProb: 0.7, nLayers: 1, batchSize: 30 });
    const pool = new Tox21TrialPool(new CpuBackend('f32'), data, h(10, 1e-2), { task: 'T0', capacity: 3, width: 10, dataSeed: 3, mode: 'modern', objective: 'valid-auc' });
    const members = [{ trialId: 0, seed: 1, params: h(10, 1e-2), epochs: 2 }, { trialId: 1, seed: 2, params: h(10, 3e-3), epochs: 4 }];
    const late = { trialId: 2, seed: 4, params: h(10, 2e-2), epochs: 3 };
    for (const m of members) pool.add(m);
    const last = new Map<number, MemberEpoch>();
    let step = 0;
    while (pool.running() > 0) {
      for (const e of await pool.step()) last.set(e.trialId, e);
      if (++step === 2) pool.add(late); // trial 0's slot is free, but its population is at its third epoch
    }
    expect(pool.models).toBe(2); // the late member never shared a population's batches
    pool.dispose();
    for (const m of [...members, late]) {
      const solo = await evalTox21Hyperparams(new CpuBackend('f32'), data, { ...m.params, nEpochs: m.epochs, seed: m.seed, dataSeed: 3, mode: 'modern', task: 'T0' });
      expect(last.get(m.trialId)!.values.loss, `trial ${m.trialId}`).toBe(solo.lossCurve.at(-1));
      expect(last.get(m.trialId)!.values['valid-auc']).toBe(solo.metrics.valid.rocAuc);
    }
  }, 60_000);
});

describe('runs on the threads (a retraining\'s seeds)', () => {
  it.each(['modern', 'book'] as const)('give the results of the calling thread, bit for bit (%s mode)', async (mode) => {
    const h = { ...BASE, nHidden: 12, learningRate: 1e-2, keepProb: 0.6, nEpochs: 3 } as FcnHyperparams;
    const runs = [11, 12, 13].map((seed) => ({ h, mode, seed, task: 'T0' }));
    const here = await evalTox21Population(new CpuBackend('f32'), data, runs, { dataSeed: 5, maxModels: 3 });
    const there = await evalOnThreads(data, runs, { dataSeed: 5, maxModels: 3 }, 2);
    const strip = (r: FcnResult) => ({ ...r, population: 0, packing: null, seconds: null });
    expect(there.map((r) => r.population)).toEqual([2, 1, 2]); // seeds 11 and 13 on thread 0, 12 on thread 1
    expect(there.map(strip)).toEqual(here.map(strip));
    const viaSearch = await evalRuns(new CpuBackend('f32'), data, runs, { dataSeed: 5 });
    expect(viaSearch.map(strip)).toEqual(here.map(strip));
  }, 60_000);
});

describe('the worker threads', () => {
  it('do not keep a process alive after its search', async () => {
    const code = `
      import { CpuBackend } from './src/backend/cpu/cpu-backend.ts';
      import { createSampler } from './src/hpo/samplers/index.ts';
      import { runTox21Search } from './src/tox21/search.ts';
      import { syntheticMolecules } from './test/helpers/synthetic-molecules.ts';
      const r = await runTox21Search(new CpuBackend('f32'), syntheticMolecules(200, 64, 1, 2), {
        space: { nHidden: { kind: 'choice', values: [4, 8] } }, sampler: createSampler('grid', { seed: 1 }),
        objective: { name: 'valid-wacc', direction: 'maximize' }, reps: 2, seed0: 0, task: 'T0', base: { nEpochs: 2, batchSize: 50 }, population: 4, threads: 2,
      });
      console.log(r.trials.map((t) => t.state).join(','));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, timeout: 60_000 });
    expect(stdout.trim()).toBe('complete,complete');
  }, 70_000);

  it('a session answers calls in order, keeps an error\'s class, and rejects every call once its worker dies', async () => {
    const s = new WorkerSession(spawnNodeWorker(new URL('./helpers/session-worker.ts', import.meta.url), { name: 'test session' }));
    // Posted without waiting: the slow first call still runs first.
    expect(await Promise.all([s.call('slowAdd', 1), s.call('add', 2), s.call('slowAdd', 3)])).toEqual([1, 3, 6]);
    const err = await s.call('fail', 'no such thing').catch((e: Error) => e);
    expect([(err as Error).name, (err as Error).message]).toEqual(['RangeError', 'no such thing']);
    await expect(s.call('nope', null)).rejects.toThrow(/unknown operation "nope"/);
    expect(await s.call('add', 0)).toBe(6); // it went on serving
    await expect(s.call('exit', 3)).rejects.toThrow(/test session stopped: .*code 3/);
    expect(s.alive).toBe(false);
    await expect(s.call('add', 1)).rejects.toThrow(/test session stopped/);
    await s.close();
  }, 30_000);
});
