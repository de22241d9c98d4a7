/**
 * The store-backed search (runner + coordinator) with the scripted in-memory pool of the runner's tests, on a
 * SQLite file: a study resumed with a larger budget keeps its trials and trains only the new ones, with TPE seeing
 * the old ones; two workers on one study (two connections, as two processes) share it with no configuration twice
 * — sampled (TPE with pruning) and grid; and a trial a dead worker left running is retried.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SuccessiveHalvingPruner } from '../src/hpo/pruners/successive-halving.ts';
import { GridSampler } from '../src/hpo/samplers/grid.ts';
import { RandomSampler } from '../src/hpo/samplers/random.ts';
import type { SampleRequest, Sampler } from '../src/hpo/samplers/sampler.ts';
import { TpeSampler } from '../src/hpo/samplers/tpe.ts';
import type { SearchSpace, TrialParams } from '../src/hpo/space.ts';
import type { Pruner } from '../src/hpo/pruners/pruner.ts';
import { runStudySearch } from '../src/hpo/runner.ts';
import { runStoredSearch, type StoredSearchOptions } from '../src/hpo/store-search.ts';
import { openStore } from '../src/hpo/open-store.ts';
import { type StudyStore } from '../src/hpo/store.ts';
import type { Study, StudySpec } from '../src/hpo/store-spec.ts';
import type { Objective } from '../src/hpo/trial.ts';
import { FakePool, type Curve } from './helpers/hpo-fake-pool.ts';
import { running, tempDir } from './helpers/store-fixtures.ts';

const objective: Objective = { name: 'valid-score', direction: 'maximize' };
const space: SearchSpace = { q: { kind: 'uniform', low: 0, high: 1 }, shape: { kind: 'choice', values: [1, 2] } };
const grid: SearchSpace = { q: { kind: 'choice', values: [0.1, 0.3, 0.5, 0.7, 0.9] }, shape: { kind: 'choice', values: [1, 2] } };
const curve: Curve = (p, e, seed) => ({ 'valid-score': (p.q as number) * (1 - Math.exp(-e / 2)) + 0.001 * seed, 'test-score': 0.5 });

function studySpec(name: string, s: SearchSpace, nTrials?: number): StudySpec {
  return { name, space: s, sampler: { name: 'tpe', options: { seed: 3 } }, pruner: { name: 'sha', options: {} }, objective, reps: 2, ...(nTrials ? { nTrials } : {}), extra: {} };
}

/** Options for a worker; the pools record every configuration they train: one trained twice would show twice. */
function options(store: StudyStore, study: Study, worker: string, trainedLog: string[], extra: Partial<StoredSearchOptions> & { pruner?: Pruner } = {}): StoredSearchOptions {
  const { pruner, ...rest } = extra;
  const makePool = (p: TrialParams) => {
    const pool = new FakePool({ capacity: 6, curve, shape: (x) => String(x.shape) }, p);
    const add = pool.add.bind(pool);
    pool.add = (m) => {
      if (m.seed === 0) trainedLog.push(JSON.stringify(m.params));
      add(m);
    };
    return pool;
  };
  return {
    store, study, worker, space: study.spec.space, objective, seeds: [0, 1], pollMs: 20,
    sampler: new TpeSampler({ seed: 3, nStartupTrials: 4 }),
    run: (initial, sink, source, left) => runStudySearch({ space: study.spec.space, source, pruner, objective, reps: 2, epochs: 6, makePool, initialTrials: initial, sink, timeoutSeconds: left }),
    ...rest,
  };
}

describe('a search stored in a study', () => {
  it('resumes with a larger budget: old trials kept, only new ones trained, TPE sees the old ones', async () => {
    const t = tempDir();
    try {
      const url = `sqlite:///${join(t.dir, 's.db')}`;
      const store = await openStore(url);
      const log: string[] = [];
      const { study } = await store.getOrCreateStudy(studySpec('grow', space, 6));
      const first = await runStoredSearch({ ...options(store, study, 'w1', log), nTrials: 6 });
      expect(first.trials).toHaveLength(6);
      expect(first.stopped).toBe('n-trials');
      const seen: number[] = [];
      const sampler = new TpeSampler({ seed: 3, nStartupTrials: 4 });
      const spy: Sampler = { name: 'tpe', finite: false, sample: (req: SampleRequest) => (seen.push(req.history.length), sampler.sample(req)) };
      const again = await store.getOrCreateStudy(studySpec('grow', space, 10));
      const second = await runStoredSearch({ ...options(store, again.study, 'w1', log), nTrials: 10, sampler: spy });
      expect(second.trials.map((x) => x.id)).toEqual([...Array(10).keys()]);
      expect(second.trials.slice(0, 6)).toEqual(first.trials);
      expect(second.trained).toEqual([6, 7, 8, 9]);
      expect(seen[0]).toBe(6);
      expect(new Set(log).size).toBe(log.length);
      expect(log).toHaveLength(10);
      expect(second.trials.every((x) => ['complete', 'pruned'].includes(x.state))).toBe(true);
      expect(second.stopped).toBe('n-trials');
      await store.close();
    } finally {
      t.remove();
    }
  });

  // random: both workers' samplers have the same seed, so only sampling under the store's lock, with the ids the
  // trials really get, keeps them from drawing the same configurations
  for (const mode of ['tpe', 'random', 'grid'] as const) {
    it(`shares one study between two workers, no configuration twice (${mode})`, async () => {
      const t = tempDir();
      try {
        const url = `sqlite:///${join(t.dir, 's.db')}`;
        const [a, b] = [await openStore(url), await openStore(url)];
        const log: string[] = [];
        const s = mode === 'grid' ? grid : space;
        const n = mode === 'grid' ? undefined : 14;
        const sa = (await a.getOrCreateStudy(studySpec('shared', s, n))).study;
        const sb = (await b.getOrCreateStudy(studySpec('shared', s, n))).study;
        const extra = mode === 'grid' ? { sampler: new GridSampler() }
          : mode === 'random' ? { sampler: new RandomSampler({ seed: 1 }), nTrials: 14 }
          : { pruner: new SuccessiveHalvingPruner({ reductionFactor: 2 }), nTrials: 14 };
        const [ra, rb] = await Promise.all([runStoredSearch(options(a, sa, 'wa', log, extra)), runStoredSearch(options(b, sb, 'wb', log, extra))]);
        const total = mode === 'grid' ? 10 : 14;
        expect(ra.trials.map((x) => x.id)).toEqual([...Array(total).keys()]);
        expect([...ra.trained, ...rb.trained].sort((x, y) => x - y)).toEqual([...Array(total).keys()]);
        expect(ra.trained.length).toBeGreaterThan(0);
        expect(rb.trained.length).toBeGreaterThan(0);
        expect(new Set(ra.trials.map((x) => JSON.stringify(x.params))).size).toBe(total);
        expect(log).toHaveLength(total);
        expect(new Set(log).size).toBe(total);
        expect(rb.trials.every((x) => x.state === 'complete' || x.state === 'pruned')).toBe(true);
        if (mode === 'tpe') expect(ra.trials.some((x) => x.state === 'pruned')).toBe(true);
        expect(ra.stopped).toBe(mode === 'grid' ? 'exhausted' : 'n-trials');
        await a.close();
        await b.close();
      } finally {
        t.remove();
      }
    });
  }

  it('retries a trial a dead worker left running, with its id and configuration', async () => {
    const t = tempDir();
    try {
      const store = await openStore(`sqlite:///${join(t.dir, 's.db')}`);
      const { study } = await store.getOrCreateStudy(studySpec('orphan', space, 3));
      const orphan = (await store.createTrial(study, { ...running({ q: 0.42, shape: 1 }), seeds: [0, 1] }, { worker: 'gone-host:1:x' }))!;
      await new Promise((r) => setTimeout(r, 1100));
      const log: string[] = [];
      const r = await runStoredSearch({ ...options(store, study, 'w', log), nTrials: 3, staleSeconds: 1, heartbeatSeconds: 0.2 });
      expect(r.trials).toHaveLength(3);
      expect(r.trials[0]).toMatchObject({ id: orphan.id, params: { q: 0.42, shape: 1 }, state: 'complete', budget: 6 });
      expect(r.trained).toContain(orphan.id);
      expect((await store.trialRows(study))[0].attempts).toBe(2);
      await store.close();
    } finally {
      t.remove();
    }
  });

  it('stops when its time is up: trials running then are pruned, none is left running, the run is told its budget', async () => {
    const t = tempDir();
    try {
      const store = await openStore(`sqlite:///${join(t.dir, 's.db')}`);
      const { study } = await store.getOrCreateStudy(studySpec('timed', space, 50));
      const lefts: (number | undefined)[] = [];
      const base = options(store, study, 'w', []);
      // Each epoch takes 30 ms: 50 trials × 6 epochs (100 pool steps) cannot finish in 1 s.
      const slow = (p: TrialParams) => new FakePool({ capacity: 6, curve, shape: (x) => String(x.shape), onStep: () => { const end = Date.now() + 30; while (Date.now() < end); } }, p);
      const r = await runStoredSearch({
        ...base, nTrials: 50, timeoutSeconds: 1,
        run: (initial, sink, source, left) => {
          lefts.push(left);
          return runStudySearch({ space, source, objective, reps: 2, epochs: 6, makePool: slow, initialTrials: initial, sink, timeoutSeconds: left });
        },
      });
      expect(r.stopped).toBe('timeout');
      expect(r.trials.length).toBeGreaterThan(0);
      expect(r.trials.length).toBeLessThan(50);
      expect(r.trials.every((x) => x.state === 'complete' || (x.state === 'pruned' && /^timeout: /.test(x.reason!)) || x.state === 'waiting')).toBe(true);
      // (whether a trial was mid-training at that moment depends on the machine: a group may just have finished)
      expect(r.trials.some((x) => x.state === 'running')).toBe(false);
      expect((await store.trials(study)).filter((x) => x.state === 'running')).toEqual([]);
      expect(lefts).toHaveLength(1);
      // (what opening the run costs — a reap, a read of the study — is taken from the budget; a loaded machine is slow)
      expect(lefts[0]).toBeGreaterThan(0.5);
      expect(lefts[0]).toBeLessThanOrEqual(1);
      await store.close();
    } finally {
      t.remove();
    }
  });
});
