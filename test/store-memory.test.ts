/**
 * The in-memory study store: the shared contract (test/helpers/store-contract.ts) on one MemoryDatabase opened
 * twice, as two connections; records go in and out as copies; the search engine writing through it records exactly
 * the trials the search returns; and a stored search (trials from the store, sampled under its lock) is the same
 * loop as a search without a store: the same trials, trial for trial.
 */
import { describe, expect, it } from 'vitest';
import { runStudySearch } from '../src/hpo/runner.ts';
import { TpeSampler } from '../src/hpo/samplers/tpe.ts';
import { SuccessiveHalvingPruner } from '../src/hpo/pruners/successive-halving.ts';
import { runStoredSearch } from '../src/hpo/store-search.ts';
import { StoreSink } from '../src/hpo/store-sink.ts';
import { MemoryDatabase, MemoryStore } from '../src/hpo/stores/memory.ts';
import type { TrialParams } from '../src/hpo/space.ts';
import { storeContract } from './helpers/store-contract.ts';
import { running, spec } from './helpers/store-fixtures.ts';
import { FakePool } from './helpers/hpo-fake-pool.ts';

const db = new MemoryDatabase();
storeContract('memory', async () => new MemoryStore(db));

describe('memory store', () => {
  it('hands out copies: changing a returned record changes nothing stored', async () => {
    const store = new MemoryStore();
    const s = await store.createStudy(spec('copies'));
    const t = (await store.createTrial(s, running({ lr: 0.1 })))!;
    t.params.lr = 99;
    t.intermediate.push({ epoch: 1, value: 1 });
    const [back] = await store.trials(s);
    expect(back.params).toEqual({ lr: 0.1 });
    expect(back.intermediate).toEqual([]);
    expect(store.url).toBe('memory:');
  });

  it('the search engine writes every trial through it, and the store ends with what the search returned', async () => {
    const store = new MemoryStore(new MemoryDatabase(), 'search');
    const space = { q: { kind: 'uniform' as const, low: 0, high: 1 } };
    const objective = { name: 'valid', direction: 'maximize' as const };
    const { study } = await store.getOrCreateStudy({ ...spec('engine'), space, objective, reps: 2, nTrials: 12 });
    const options = {
      space, objective, sampler: new TpeSampler({ seed: 3, nStartupTrials: 4 }), pruner: new SuccessiveHalvingPruner({ reductionFactor: 2 }), reps: 2, nTrials: 12, epochs: 6,
      makePool: (p: TrialParams) => new FakePool({ capacity: 4, curve: (x, e, seed) => ({ valid: (x.q as number) * e / 6 + seed / 100, 'test-x': 1 }) }, p),
    };
    const stored = await runStudySearch({ ...options, sink: new StoreSink(store, study, { worker: 'here', limit: 12 }) });
    const plain = await runStudySearch({ ...options, sampler: new TpeSampler({ seed: 3, nStartupTrials: 4 }) });
    const strip = (ts: typeof plain.trials) => ts.map(({ seconds: _s, detail: _d, ...t }) => t);
    expect(strip(stored.trials)).toEqual(strip(plain.trials));
    expect(strip(await store.trials(study))).toEqual(strip(stored.trials));
    expect(stored.trials.some((t) => t.state === 'pruned')).toBe(true);
  });

  it('a stored search on one worker trains exactly what the same search without a store trains', async () => {
    const space = { q: { kind: 'uniform' as const, low: 0, high: 1 }, shape: { kind: 'choice' as const, values: [1, 2] } };
    const objective = { name: 'valid', direction: 'maximize' as const };
    const sampler = () => new TpeSampler({ seed: 5, nStartupTrials: 4 });
    const engine = {
      space, objective, pruner: new SuccessiveHalvingPruner({ reductionFactor: 2 }), reps: 2, epochs: 6, maxPools: 2,
      makePool: (p: TrialParams) => new FakePool({ capacity: 4, shape: (x) => String(x.shape), curve: (x, e, seed) => ({ valid: (x.q as number) * (1 - Math.exp(-e / 2)) + seed / 100 }) }, p),
    };
    const plain = await runStudySearch({ ...engine, sampler: sampler(), nTrials: 16 });
    const store = new MemoryStore();
    const { study } = await store.getOrCreateStudy({ ...spec('same-loop'), space, objective, reps: 2, nTrials: 16 });
    const stored = await runStoredSearch({
      store, study, worker: 'only', space, objective, sampler: sampler(), nTrials: 16, seeds: [0, 1],
      run: (initialTrials, sink, source) => runStudySearch({ ...engine, source, initialTrials, sink }),
    });
    const strip = (ts: typeof plain.trials) => ts.map(({ seconds: _s, detail: _d, ...t }) => t);
    expect(stored.rounds).toBe(1);
    expect(strip(stored.trials)).toEqual(strip(plain.trials));
    expect(plain.trials.filter((t) => t.state === 'pruned').length).toBeGreaterThan(2);
  });
});
