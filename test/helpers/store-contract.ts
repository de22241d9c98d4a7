/**
 * The behaviour every study store must have, written once and run against SQLite (test/store-sqlite.test.ts) and
 * PostgreSQL (test/store-postgres.test.ts): studies and their specs, faithful trial records, atomic ids and the trial
 * limit, claims that hand a trial to one worker, heartbeats and the reaping of dead workers' trials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudyExistsError, StudyMismatchError, StudyNotFoundError, TrialTakenError, type StudyStore } from '../../src/hpo/store.ts';
import type { TrialRecord } from '../../src/hpo/trial.ts';
import { running, spec } from './store-fixtures.ts';

export function storeContract(label: string, open: () => Promise<StudyStore>, cleanup: () => Promise<void> | void = () => undefined) {
  describe(`${label} study store`, () => {
    let store: StudyStore;
    let other: StudyStore;
    beforeAll(async () => {
      store = await open();
      other = await open();
    });
    afterAll(async () => {
      await store?.close();
      await other?.close();
      await cleanup();
    });

    it('creates, loads, lists and deletes studies, naming missing ones and the studies there are', async () => {
      const a = await store.createStudy(spec('alpha'));
      expect(a.spec).toEqual(spec('alpha'));
      await expect(store.createStudy(spec('alpha'))).rejects.toBeInstanceOf(StudyExistsError);
      expect((await other.loadStudy('alpha')).key).toBe(a.key);
      await store.createStudy(spec('beta'));
      const err = await store.loadStudy('gamma').catch((e) => e);
      expect(err).toBeInstanceOf(StudyNotFoundError);
      expect(err.message).toBe(`no study named "gamma" in ${store.url}; studies: alpha, beta`);
      expect((await store.listStudies()).map((s) => s.name)).toEqual(['alpha', 'beta']);
      await store.deleteStudy('beta');
      await expect(store.deleteStudy('beta')).rejects.toBeInstanceOf(StudyNotFoundError);
      expect((await other.listStudies()).map((s) => s.name)).toEqual(['alpha']);
    });

    it('resumes a study with the same spec, takes a new nTrials, and refuses another spec naming the difference', async () => {
      const first = await store.getOrCreateStudy(spec('resume'));
      expect(first.created).toBe(true);
      const again = await other.getOrCreateStudy({ ...spec('resume'), nTrials: 20 });
      expect(again.created).toBe(false);
      expect(again.study.key).toBe(first.study.key);
      expect((await store.loadStudy('resume')).spec.nTrials).toBe(20);
      const wider = spec('resume', { space: { ...spec().space, lr: { kind: 'loguniform', low: 1e-4, high: 1 } } });
      const err = await store.getOrCreateStudy(wider).catch((e) => e);
      expect(err).toBeInstanceOf(StudyMismatchError);
      expect(err.message).toContain('different space.lr.high: stored 0.1, now 1');
      const extra = await store.getOrCreateStudy(spec('resume', { extra: { task: 'SR-MMP', base: { nEpochs: 45 } } })).catch((e) => e);
      expect(extra.message).toContain('different extra.task: stored "NR-AR", now "SR-MMP"');
      const objective = await store.getOrCreateStudy(spec('resume', { objective: { name: 'valid-auc', direction: 'maximize' } })).catch((e) => e);
      expect(objective.message).toContain('different objective.name: stored "valid-wacc", now "valid-auc"');
      const pruner = await store.getOrCreateStudy(spec('resume', { pruner: { name: 'none', options: {} } })).catch((e) => e);
      expect(pruner.message).toContain('different pruner.name');
    });

    it('keeps a trial exactly: params, NaN values, sds, reason, detail, 45 intermediate values, appended not rewritten', async () => {
      const s = await store.createStudy(spec('faithful'));
      const t = (await store.createTrial(s, running({ lr: 0.0123, hidden: 100, mode: 'modern', weight: true }), { worker: 'w1' }))!;
      expect(t.id).toBe(0);
      const full: TrialRecord = { ...t, budget: 20, intermediate: Array.from({ length: 20 }, (_, i) => ({ epoch: i + 1, value: 0.5 + i / 100 })) };
      await store.updateTrial(s, full, 'w1');
      const done: TrialRecord = {
        ...full,
        state: 'complete',
        budget: 45,
        intermediate: [...full.intermediate, ...Array.from({ length: 25 }, (_, i) => ({ epoch: 21 + i, value: i === 3 ? Number.NaN : 0.7 + i / 1000 }))],
        values: { 'valid-wacc': 0.71, 'test-wacc': Number.NaN, 'valid-auc': Infinity },
        valuesSd: { 'valid-wacc': 0.01 },
        reason: 'reached its budget',
        seconds: 12.5,
        detail: { loss: [1, 0.5, Number.NaN], members: 3 },
      };
      await store.updateTrial(s, done, 'w1');
      const [back] = await other.trials(s);
      expect(back).toEqual(done);
      expect(back.intermediate).toHaveLength(45);
      expect(Number.isNaN(back.intermediate[23].value)).toBe(true);
    });

    it('gives ids 0, 1, 2, … and never more trials than the limit, with two connections racing', async () => {
      const s = await store.createStudy(spec('race'));
      const made = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? store : other).createTrial(s, running({ lr: i }), { worker: `w${i % 2}`, limit: 10 })));
      const ids = made.filter((t) => t !== null).map((t) => t!.id).sort((a, b) => a - b);
      expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(made.filter((t) => t === null)).toHaveLength(6);
      expect((await store.trials(s)).map((t) => t.id)).toEqual(ids);
    });

    it('lets the sampler see every stored trial under the lock, and stops when it has nothing left', async () => {
      const s = await store.createStudy(spec('sampled'));
      await store.createTrial(s, running({ lr: 1 }));
      const seen: number[] = [];
      const t = await other.createTrialWith(s, { limit: 5 }, (id, history) => {
        seen.push(id, history.length);
        return running({ lr: 2 });
      });
      expect(t!.id).toBe(1);
      expect(seen).toEqual([1, 1]);
      expect(await store.createTrialWith(s, {}, () => null)).toBeNull();
      expect(await store.trials(s)).toHaveLength(2);
    });

    it('enqueues a grid once per study and hands each waiting trial to one worker', async () => {
      const s = await store.createStudy(spec('grid'));
      const points = Array.from({ length: 7 }, (_, i) => ({ lr: i }));
      expect(await store.enqueueTrials(s, points, [0, 1])).toBe(7);
      expect(await other.enqueueTrials(s, points, [0, 1])).toBe(0);
      const [a, b] = await Promise.all([store.claimWaiting(s, 'A', 3), other.claimWaiting(s, 'B', 3)]);
      const c = await store.claimWaiting(s, 'C', 5);
      const ids = [...a, ...b, ...c].map((t) => t.id).sort((x, y) => x - y);
      expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(c).toHaveLength(1);
      expect([...a, ...b, ...c].every((t) => t.state === 'running' && t.seeds.join() === '0,1')).toBe(true);
      expect(await store.claimWaiting(s, 'D', 5)).toEqual([]);
      const rows = await store.trialRows(s);
      expect(rows.every((r) => r.attempts === 1)).toBe(true);
      expect(rows.find((r) => r.record.id === c[0].id)!.worker).toBe('C');
    });

    it('reaps trials without heartbeats: retried with the same params, then failed after the last attempt', async () => {
      const s = await store.createStudy(spec('reap'));
      const t = (await store.createTrial(s, running({ lr: 0.5 }), { worker: 'dead' }))!;
      await store.updateTrial(s, { ...t, budget: 3, intermediate: [{ epoch: 1, value: 0.1 }, { epoch: 2, value: 0.2 }, { epoch: 3, value: 0.3 }] }, 'dead');
      const live = (await store.createTrial(s, running({ lr: 0.6 }), { worker: 'alive' }))!;
      const late = (await store.createTrial(s, running({ lr: 0.7 }), { worker: 'me' }))!;
      await new Promise((r) => setTimeout(r, 1200));
      await store.heartbeat(s, 'alive', [live.id]);
      // (the margins are wide: a loaded machine may pause this process for a while between two calls)
      const r1 = await other.reapStale(s, 1, { maxAttempts: 2, self: 'me' });
      expect(r1).toEqual({ retried: [t.id], failed: [] });
      const [back] = await store.trials(s);
      expect(back).toMatchObject({ id: t.id, state: 'waiting', params: { lr: 0.5 }, budget: 0, intermediate: [] });
      expect(back.reason).toMatch(/worker dead stopped sending heartbeats/);
      // The dead worker comes back late: its result must not overwrite the trial it lost.
      await expect(store.updateTrial(s, { ...t, state: 'complete', values: { 'valid-wacc': 1 } }, 'dead')).rejects.toBeInstanceOf(TrialTakenError);
      const [again] = await store.claimWaiting(s, 'second', 1);
      expect(again.id).toBe(t.id);
      expect((await store.trialRows(s))[0].attempts).toBe(2);
      await new Promise((r) => setTimeout(r, 1200));
      await store.heartbeat(s, 'alive', [live.id]);
      const r2 = await store.reapStale(s, 1, { maxAttempts: 2 });
      expect(r2).toEqual({ retried: [late.id], failed: [t.id] });
      const rows = await store.trialRows(s);
      expect(rows[0].record.state).toBe('failed');
      expect(rows[0].record.reason).toMatch(/no attempts left \(2\)/);
      expect(rows[1].record.state).toBe('running');
      expect(rows[2].record.state).toBe('waiting');
    });

    it('reaps a known-dead worker at once, whatever its heartbeat', async () => {
      const s = await store.createStudy(spec('dead-now'));
      const t = (await store.createTrial(s, running(), { worker: 'host:1:gone' }))!;
      expect(await store.reapStale(s, 3600)).toEqual({ retried: [], failed: [] });
      expect(await store.reapStale(s, 3600, { deadWorkers: ['host:1:gone'] })).toEqual({ retried: [t.id], failed: [] });
      expect((await store.trialRows(s))[0].record.reason).toMatch(/died \(its process is gone\)/);
    });

    it('summarizes studies: trials by state and the best value in the objective direction', async () => {
      const up = await store.createStudy(spec('summary-max'));
      const down = await store.createStudy(spec('summary-min', { objective: { name: 'valid-loss', direction: 'minimize' } }));
      for (const [study, key] of [[up, 'valid-wacc'], [down, 'valid-loss']] as const) {
        for (const [v, state] of [[0.3, 'complete'], [0.9, 'pruned'], [0.5, 'complete'], [0.1, 'failed']] as const) {
          const t = (await store.createTrial(study, running()))!;
          await store.updateTrial(study, { ...t, state, values: { [key]: v } });
        }
        await store.createTrial(study, running());
      }
      const list = await other.listStudies();
      const max = list.find((s) => s.name === 'summary-max')!;
      const min = list.find((s) => s.name === 'summary-min')!;
      expect(max.counts).toEqual({ waiting: 0, running: 1, pruned: 1, complete: 2, failed: 1 });
      expect(max.best).toBe(0.5);
      expect(min.best).toBe(0.3);
      expect(max.updatedAt).toBeGreaterThanOrEqual(max.createdAt);
    });
  });
}
