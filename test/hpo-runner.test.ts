// The adaptive search loop on a scripted in-memory TrialPool: records and means over seeds, pruning with refills,
// failures (a member, a whole pool step) that do not end the search, test values kept from samplers and pruners,
// determinism, the timeout, budgets, pools split by shape, the store hook, and resume with initial trials.
import { describe, expect, it } from 'vitest';
import { HyperbandPruner } from '../src/hpo/pruners/hyperband.ts';
import type { Pruner } from '../src/hpo/pruners/pruner.ts';
import { SuccessiveHalvingPruner } from '../src/hpo/pruners/successive-halving.ts';
import { runStudySearch, type StudySearchOptions } from '../src/hpo/runner.ts';
import { GridSampler } from '../src/hpo/samplers/grid.ts';
import { RandomSampler } from '../src/hpo/samplers/random.ts';
import type { SampleRequest, Sampler } from '../src/hpo/samplers/sampler.ts';
import { TpeSampler } from '../src/hpo/samplers/tpe.ts';
import type { SearchSpace, TrialParams } from '../src/hpo/space.ts';
import type { Objective, TrialRecord } from '../src/hpo/trial.ts';
import { FakePool, type Curve, type FakePoolOptions } from './helpers/hpo-fake-pool.ts';

const objective: Objective = { name: 'valid-score', direction: 'maximize' };
const space: SearchSpace = { q: { kind: 'uniform', low: 0, high: 1 }, shape: { kind: 'choice', values: [1, 2] } };
/** A learning curve rising to q; seeds shift it by 0.001 · seed; the test score runs the other way. */
const curve: Curve = (p, e, seed) => ({ 'valid-score': (p.q as number) * (1 - Math.exp(-e / 2)) + 0.001 * seed, 'test-score': 1 - (p.q as number) + 0.01 * e });

/** Hands out a fixed list of parameters by trial id. */
class ListSampler implements Sampler {
  readonly name = 'list';
  readonly finite = true;
  constructor(private readonly points: TrialParams[]) {}
  sample(req: SampleRequest): TrialParams | null {
    return this.points[req.trialId] ?? null;
  }
}

function pools(opts: Partial<FakePoolOptions> = {}) {
  const made: FakePool[] = [];
  const makePool = (p: TrialParams) => {
    const pool = new FakePool({ capacity: 4, curve, shape: (x) => String(x.shape), ...opts }, p);
    made.push(pool);
    return pool;
  };
  return { made, makePool };
}

// Timings differ between runs: the seconds and the wall-clock start and end the runner puts in detail.
const stripSeconds = (ts: TrialRecord[]) => ts.map(({ seconds: _s, detail, ...t }) => {
  const { startedAt: _a, endedAt: _b, ...rest } = detail ?? {};
  return { ...t, detail: rest };
});

function base(extra: Partial<StudySearchOptions> = {}): StudySearchOptions {
  return { space, sampler: new RandomSampler({ seed: 1 }), objective, epochs: 6, nTrials: 10, makePool: pools().makePool, ...extra };
}

describe('runStudySearch', () => {
  it('records intermediate means over seeds, final means and sds, and the best complete trial', async () => {
    const r = await runStudySearch(base({ sampler: new ListSampler([{ q: 0.5, shape: 1 }, { q: 0.8, shape: 1 }]), reps: 2, seed0: 10 }));
    expect(r.trials.map((t) => t.state)).toEqual(['complete', 'complete']);
    const t = r.trials[1];
    expect(t.seeds).toEqual([10, 11]);
    expect(t.budget).toBe(6);
    expect(t.intermediate.map((iv) => iv.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.intermediate[0].value).toBeCloseTo(0.8 * (1 - Math.exp(-0.5)) + 0.0105, 12);
    expect(t.values['valid-score']).toBeCloseTo(0.8 * (1 - Math.exp(-3)) + 0.0105, 12);
    expect(t.values['test-score']).toBeCloseTo(0.2 + 0.06, 12);
    expect(t.valuesSd!['valid-score']).toBeCloseTo(Math.SQRT1_2 * 0.001, 12);
    expect(r.best!.id).toBe(1);
    expect(r.population).toBe(4);
    expect(r.stopped).toBe('exhausted');
  });

  it('is deterministic for a seed: two runs give the same records but for seconds', async () => {
    const run = () => runStudySearch(base({
      sampler: new TpeSampler({ seed: 5, nStartupTrials: 4 }), pruner: new SuccessiveHalvingPruner({ reductionFactor: 2 }),
      reps: 2, nTrials: 16, maxPools: 2, makePool: pools().makePool,
    }));
    const [a, b] = [await run(), await run()];
    expect(stripSeconds(a.trials)).toEqual(stripSeconds(b.trials));
    expect(a.trials).toHaveLength(16);
    expect(a.trials.some((t) => t.state === 'pruned')).toBe(true);
    expect(a.best!.id).toBe(b.best!.id);
  });

  it('never shows a test value to the sampler or the pruner, but records them', async () => {
    let looked = 0;
    const check = (t: TrialRecord) => {
      looked++;
      for (const k of [...Object.keys(t.values), ...Object.keys(t.valuesSd ?? {})]) expect(k.startsWith('test-')).toBe(false);
      expect(t.detail).toBeUndefined();
    };
    const tpe = new TpeSampler({ seed: 2, nStartupTrials: 3 });
    const sampler: Sampler = { name: 'spy', finite: false, sample: (req) => (req.history.forEach(check), tpe.sample(req)) };
    const asha = new SuccessiveHalvingPruner({ reductionFactor: 2 });
    const pruner: Pruner = { name: 'spy', shouldPrune: (t, all, d) => (check(t), all.forEach(check), asha.shouldPrune(t, all, d)) };
    const r = await runStudySearch(base({ sampler, pruner, reps: 2, nTrials: 12 }));
    expect(looked).toBeGreaterThan(100);
    expect(r.trials.filter((t) => t.state !== 'failed').every((t) => 'test-score' in t.values)).toBe(true);
  });

  it('refills slots freed by pruning before the next step, so the pool stays full', async () => {
    const { made, makePool } = pools({ shape: undefined });
    const r = await runStudySearch(base({ makePool, pruner: new SuccessiveHalvingPruner({ reductionFactor: 2 }), nTrials: 20, epochs: 8 }));
    expect(made).toHaveLength(1);
    const log = made[0].log;
    const stops = log.flatMap((l, i) => (l.startsWith('stop') ? [i] : []));
    expect(stops.length).toBeGreaterThan(3);
    // Every stop is followed by an add before the next step while trials remain to be asked for.
    const lastCreate = log.lastIndexOf(log.filter((l) => l.startsWith('add')).at(-1)!);
    for (const i of stops.filter((i) => i < lastCreate)) {
      const next = log.findIndex((l, j) => j > i && l.startsWith('step'));
      expect(log.slice(i, next).some((l) => l.startsWith('add'))).toBe(true);
    }
    // Steps before the last trial was added all trained a full pool of 4.
    expect(log.slice(0, lastCreate).filter((l) => l.startsWith('step')).every((l) => l === 'step 4')).toBe(true);
    expect(r.trials).toHaveLength(20);
    expect(r.trials.filter((t) => t.state === 'pruned').every((t) => t.reason!.startsWith('asha: rung'))).toBe(true);
  });

  it('runs ASHA trial after trial with the rung decisions of the paper', async () => {
    const values = [0.5, 0.6, 0.4, 0.7, 0.3, 0.55, 0.65];
    const flat: Curve = (p) => ({ 'valid-score': p.v as number });
    const r = await runStudySearch({
      space: { v: { kind: 'uniform', low: 0, high: 1 } }, sampler: new ListSampler(values.map((v) => ({ v }))), objective, epochs: 10,
      pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 }), makePool: (p) => new FakePool({ capacity: 1, curve: flat }, p),
    });
    expect(r.trials.map((t) => `${t.state} ${t.budget}`)).toEqual(['complete 10', 'complete 10', 'pruned 1', 'complete 10', 'pruned 1', 'pruned 1', 'pruned 3']);
    expect(r.trials[6].reason).toBe('asha: rung 1 (epoch 3), 0.6500 not in the top 1/3 of 4 (the best 1, down to 0.7000)');
    expect(r.trials[6].values).toEqual({ 'valid-score': 0.65 }); // a pruned trial keeps its last epoch's values
    expect(r.best!.id).toBe(3);
  });

  it('a failed member fails its trial with its reason, stops its other seeds, and the search goes on', async () => {
    const failing: Curve = (p, e, seed) => (p.q === 0.9 && seed === 1 && e === 2 ? { fail: 'loss became NaN at epoch 2' } : curve(p, e, seed));
    const { made, makePool } = pools({ curve: failing, shape: undefined });
    const pts = [0.2, 0.9, 0.5, 0.7].map((q) => ({ q, shape: 1 }));
    const r = await runStudySearch(base({ sampler: new ListSampler(pts), makePool, reps: 2 }));
    expect(r.trials.map((t) => t.state)).toEqual(['complete', 'failed', 'complete', 'complete']);
    expect(r.trials[1].reason).toBe('seed 1: loss became NaN at epoch 2');
    expect(made[0].log).toContain('stop 1/0');
    expect(r.best!.params.q).toBe(0.7);
  });

  it('a pool whose step throws fails its trials with the message, and new pools take over', async () => {
    const { made, makePool } = pools({ onStep: (p) => { if (p === made[0] && p.steps === 3) throw new Error('device lost'); } });
    const r = await runStudySearch(base({ makePool, sampler: new ListSampler(Array.from({ length: 8 }, (_, i) => ({ q: i / 10, shape: 1 }))) }));
    expect(r.trials.slice(0, 4).map((t) => [t.state, t.reason, t.budget])).toEqual(Array(4).fill(['failed', 'device lost', 2]));
    expect(r.trials.slice(4).map((t) => t.state)).toEqual(Array(4).fill('complete'));
    expect(made[0].disposed).toBe(true);
    expect(made).toHaveLength(2);
    // A pool that trains nothing while members run would loop forever: it fails like a pool that throws.
    const idle = pools();
    const r2 = await runStudySearch(base({ nTrials: 1, makePool: (p) => Object.assign(idle.makePool(p), { step: async () => [] }) }));
    expect(r2.trials[0].reason).toBe('the pool trained none of its 1 running members in a step');
  });

  it('a pool that cannot be made or cannot take a trial fails that trial only', async () => {
    const { makePool } = pools();
    const r = await runStudySearch(base({
      sampler: new ListSampler([1, 2, 1, 3].map((shape, i) => ({ q: i / 10, shape }))),
      makePool: (p) => {
        if (p.shape === 2) throw new Error('out of memory');
        const pool = makePool(p);
        if (p.shape === 3) pool.add = () => { throw new Error('no room for 300 units'); };
        return pool;
      },
      maxPools: 3,
    }));
    expect(r.trials.map((t) => [t.state, t.reason])).toEqual([
      ['complete', undefined], ['failed', 'could not make a pool: out of memory'], ['complete', undefined], ['failed', 'the pool could not take it: no room for 300 units'],
    ]);
  });

  it('keeps pools to their shape and at most maxPools alive', async () => {
    const { made, makePool } = pools({ capacity: 2 });
    const pts = [1, 2, 1, 2, 1].map((shape, i) => ({ q: i / 10, shape }));
    const events: string[] = [];
    const r = await runStudySearch(base({ sampler: new ListSampler(pts), makePool, maxPools: 1, onEvent: (e) => (e.kind === 'pool-created' || e.kind === 'pool-closed') && events.push(e.kind) }));
    expect(r.trials.every((t) => t.state === 'complete')).toBe(true);
    // Trial 1 (shape 2) waits for pool 0 (shape 1) to drain; trial 2 (shape 1) waits for pool 1 to drain.
    expect(made.map((p) => p.log.filter((l) => l.startsWith('add')))).toEqual([['add 0/0'], ['add 1/0'], ['add 2/0'], ['add 3/0'], ['add 4/0']]);
    expect(events).toEqual(Array(5).fill(['pool-created', 'pool-closed']).flat());
    const two = pools({ capacity: 2 });
    await runStudySearch(base({ sampler: new ListSampler(pts), makePool: two.makePool, maxPools: 2 }));
    // With two pools, each shape has its own; trial 4 reuses pool 0 once its first members finish.
    expect(two.made.map((p) => p.log.filter((l) => l.startsWith('add')))).toEqual([['add 0/0', 'add 2/0', 'add 4/0'], ['add 1/0', 'add 3/0']]);
  });

  it('stops after the epoch in which the timeout passed and marks running trials pruned', async () => {
    let now = 0;
    const { makePool } = pools({ onStep: () => { now += 1000; } });
    let asked = 0;
    const rnd = new RandomSampler({ seed: 0 });
    const sampler: Sampler = { name: 'count', finite: false, sample: (req) => (asked++, rnd.sample(req)) };
    const r = await runStudySearch(base({ makePool, clock: () => now, timeoutSeconds: 8.5, nTrials: undefined, epochs: 6, sampler }));
    expect(r.stopped).toBe('timeout');
    expect(r.seconds).toBe(9);
    const running = r.trials.filter((t) => t.state === 'pruned');
    expect(running.length).toBeGreaterThan(0);
    for (const t of running) expect(t.reason).toMatch(/^timeout: the search's 8.5 s ran out; stopped after epoch \d of 6$/);
    // Every recorded trial trained; one that waited for the pool to drain never started and is not recorded.
    expect(running.length + r.trials.filter((t) => t.state === 'complete').length).toBe(r.trials.length);
    expect(r.trials.every((t) => t.budget > 0)).toBe(true);
    expect(r.trials.map((t) => t.id)).toEqual(r.trials.map((_, i) => i));
    expect(asked).toBe(r.trials.length + 1);
    expect(Math.max(...r.trials.map((t) => t.budget))).toBeLessThanOrEqual(6);
  });

  it('ends when a grid is exhausted, and Hyperband prunes inside it', async () => {
    const grid: SearchSpace = { q: { kind: 'choice', values: [0.1, 0.3, 0.5, 0.7, 0.9] }, shape: { kind: 'choice', values: [1] } };
    const r = await runStudySearch({ ...base(), space: grid, sampler: new GridSampler(), nTrials: undefined, epochs: 9, pruner: new HyperbandPruner({ maxResource: 9 }) });
    expect(r.stopped).toBe('exhausted');
    expect(r.trials.map((t) => t.params.q)).toEqual([0.1, 0.3, 0.5, 0.7, 0.9]);
    expect(r.trials.filter((t) => t.state === 'pruned').every((t) => /^hyperband bracket \d: asha/.test(t.reason!))).toBe(true);
  });

  it('calls the store hook on creation and every change, with copies', async () => {
    const calls: string[] = [];
    const seen: TrialRecord[] = [];
    const sink = {
      created: (t: TrialRecord) => { calls.push(`created ${t.id} ${t.state}`); seen.push(t); },
      updated: (t: TrialRecord) => { calls.push(`updated ${t.id} ${t.state} ${t.budget}`); },
    };
    await runStudySearch(base({ sampler: new ListSampler([{ q: 0.5, shape: 1 }]), epochs: 2, sink }));
    expect(calls).toEqual(['created 0 running', 'updated 0 running 1', 'updated 0 running 2', 'updated 0 complete 2']);
    expect(seen[0].state).toBe('running'); // a copy: later changes do not reach it
  });

  it('adopts the ids a shared store gives, and stops asking when the store says the study is full', async () => {
    let next = 100;
    const full = Object.assign(new Error('study "s" already holds its 3 trials'), { name: 'StudyFullError' });
    const sink = {
      created: (t: TrialRecord) => {
        if (next === 103) throw full;
        t.id = next++;
      },
      updated: () => {},
    };
    const { made, makePool } = pools();
    const r = await runStudySearch(base({ sink, makePool, nTrials: 10 }));
    expect(r.trials.map((t) => t.id)).toEqual([100, 101, 102]);
    expect(r.trials.every((t) => t.state === 'complete')).toBe(true);
    expect(r.stopped).toBe('n-trials');
    expect(made.flatMap((p) => p.log.filter((l) => l.startsWith('add')))).toEqual(['add 100/0', 'add 101/0', 'add 102/0']);
    const other = { created: () => { throw new Error('disk full'); }, updated: () => {} };
    await expect(runStudySearch(base({ sink: other }))).rejects.toThrow('disk full');
  });

  it('resumes: finished trials are kept and seen, not re-run; waiting ones run first; running ones are left; ids continue', async () => {
    const first = await runStudySearch(base({ nTrials: 5, sampler: new TpeSampler({ seed: 9, nStartupTrials: 2 }) }));
    const enqueued: TrialRecord = { id: 5, params: { q: 0.99, shape: 1 }, state: 'waiting', seeds: [], budget: 0, intermediate: [], values: {}, seconds: 0 };
    const initial = [...first.trials.map((t, i) => (i === 4 ? { ...t, state: 'running' as const } : t)), enqueued];
    const { made, makePool } = pools();
    const histories: number[] = [];
    const tpe = new TpeSampler({ seed: 9, nStartupTrials: 2 });
    const sampler: Sampler = { name: 'spy', finite: false, sample: (req) => (histories.push(req.history.length), tpe.sample(req)) };
    const updates: string[] = [];
    const sink = { created: () => {}, updated: (t: TrialRecord) => { if (t.id < 6) updates.push(`${t.id} ${t.state}`); } };
    const r = await runStudySearch(base({ nTrials: 9, sampler, makePool, initialTrials: initial, sink }));
    expect(r.trials.map((t) => t.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stripSeconds(r.trials.slice(0, 4))).toEqual(stripSeconds(first.trials.slice(0, 4)));
    expect(stripSeconds([r.trials[4]])).toEqual(stripSeconds([{ ...first.trials[4], state: 'running' }]));
    expect(r.trials[5]).toMatchObject({ state: 'complete', params: { q: 0.99, shape: 1 }, seeds: [0], budget: 6 });
    expect(updates[0]).toBe('5 running'); // the enqueued trial is the store's already: updated, not created
    expect(r.best!.id).toBe(5);
    expect(histories).toEqual([6, 7, 8]);
    const added = made.flatMap((p) => p.log.filter((l) => l.startsWith('add')).map((l) => Number(l.split(' ')[1].split('/')[0])));
    expect(added.sort()).toEqual([5, 6, 7, 8]);
    // Resuming the same study from the same records gives the same new trials.
    const again = await runStudySearch(base({ nTrials: 9, sampler: new TpeSampler({ seed: 9, nStartupTrials: 2 }), initialTrials: initial }));
    expect(stripSeconds(again.trials)).toEqual(stripSeconds(r.trials));
  });

  it('names bad options', async () => {
    await expect(runStudySearch(base({ nTrials: undefined }))).rejects.toThrow('the random sampler never runs out; give nTrials or timeoutSeconds');
    await expect(runStudySearch(base({ objective: { name: 'test-score', direction: 'maximize' } }))).rejects.toThrow('objective "test-score" is a test score');
    await expect(runStudySearch(base({ reps: 0 }))).rejects.toThrow('reps must be a positive integer, got 0');
    await expect(runStudySearch(base({ sampler: undefined }))).rejects.toThrow('study search: give a sampler or a trial source');
    await expect(runStudySearch(base({ makePool: (p) => new FakePool({ capacity: 1, curve }, p), reps: 2 }))).rejects.toThrow('makePool made a pool for trial 0 that has 1 free slots for 2 seeds');
    const r = await runStudySearch(base({ nTrials: 2, epochs: (p) => (p.shape === 1 ? 0 : 3) }));
    expect(r.trials.filter((t) => t.state === 'failed').every((t) => t.reason === 'epochs must be a positive integer, got 0')).toBe(true);
  });

  it('tells every pool step: each member\'s scores as the pool reported them', async () => {
    const steps: { pool: number; members: string[] }[] = [];
    const r = await runStudySearch(base({
      sampler: new ListSampler([{ q: 0.5, shape: 1 }, { q: 0.7, shape: 1 }]), reps: 2, epochs: 2,
      onEvent: (e) => e.kind === 'pool-step' && steps.push({ pool: e.pool, members: e.results.map((m) => `${m.trialId}/${m.seed}@${m.epoch}`) }),
    }));
    expect(r.trials.map((t) => t.state)).toEqual(['complete', 'complete']);
    expect(steps).toEqual([{ pool: 0, members: ['0/0@1', '0/1@1', '1/0@1', '1/1@1'] }, { pool: 0, members: ['0/0@2', '0/1@2', '1/0@2', '1/1@2'] }]);
  });
});
