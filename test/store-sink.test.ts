/**
 * The runner's write-through (StoreSink) on a SQLite store: ids come from the store and are written back into the
 * record, the study's trial limit ends creation with StudyFullError, and a trial handed to another worker (this
 * one's heartbeat was late) is never overwritten by what this worker still reports of it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreSink, StudyFullError } from '../src/hpo/store-sink.ts';
import { openStore } from '../src/hpo/open-store.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import { running, spec, tempDir } from './helpers/store-fixtures.ts';

describe('StoreSink', () => {
  it('numbers trials from the store, refuses one past the limit, drops reports of a trial it lost', async () => {
    const t = tempDir();
    try {
      const store = await openStore(`sqlite:///${join(t.dir, 's.db')}`);
      const study = await store.createStudy(spec('sink'));
      await store.createTrial(study, running({ lr: 9 }), { worker: 'other' });
      const taken: number[] = [];
      const sink = new StoreSink(store, study, { worker: 'me', limit: 3, onTaken: (x) => taken.push(x.id) });
      const a: TrialRecord = { id: 17, ...running({ lr: 1 }) };
      await sink.created(a);
      expect(a.id).toBe(1);
      expect(sink.running()).toEqual([1]);
      const b: TrialRecord = { id: 0, ...running({ lr: 2 }) };
      await sink.created(b);
      expect(b.id).toBe(2);
      await expect(sink.created({ id: 3, ...running({ lr: 3 }) })).rejects.toBeInstanceOf(StudyFullError);

      await sink.updated({ ...a, budget: 1, intermediate: [{ epoch: 1, value: 0.5 }] });
      // trial 1 is reaped (as if this worker had stopped) and claimed by another
      await new Promise((r) => setTimeout(r, 1100));
      await store.heartbeat(study, 'me', [b.id]);
      await store.heartbeat(study, 'other', [0]);
      expect(await store.reapStale(study, 1)).toEqual({ retried: [1], failed: [] });
      const [again] = await store.claimWaiting(study, 'thief', 1);
      expect(again.id).toBe(1);
      await sink.updated({ ...a, budget: 2, intermediate: [{ epoch: 1, value: 0.5 }, { epoch: 2, value: 0.6 }] });
      await sink.updated({ ...a, state: 'complete', values: { 'valid-wacc': 0.9 } });
      expect(taken).toEqual([1]);
      expect(sink.running()).toEqual([2]);
      const stored = (await store.trials(study))[1];
      expect(stored).toMatchObject({ id: 1, state: 'running', budget: 0, intermediate: [], values: {} });
      await sink.updated({ ...b, state: 'complete', values: { 'valid-wacc': 0.7 } });
      expect(sink.running()).toEqual([]);
      expect((await store.trials(study))[2].state).toBe('complete');
      await store.close();
    } finally {
      t.remove();
    }
  });
});
