/**
 * Crash and resume with a real process: a fake search (test/fixtures/store-worker.ts) writing to a SQLite study is
 * killed with SIGKILL after some trials completed, then run again with the same study. Every trial completed before
 * the kill must still be there with its values, the study must end with exactly the requested number of trials, and
 * no configuration that had finished may be trained again (the fixture logs every training start and end). Run
 * for a sampled study (new trials created one by one) and a grid (all points enqueued once). Also two processes
 * sharing one SQLite file, as two workers on one machine.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import { completedTrials, logLines, startWorker, tempDir } from './helpers/store-fixtures.ts';

describe('a search killed with SIGKILL and run again', () => {
  for (const mode of ['sampled', 'grid'] as const) {
    it(`keeps what finished, trains nothing twice and ends with exactly N trials (${mode})`, async () => {
      const t = tempDir();
      try {
        const url = `sqlite:///${join(t.dir, 'example.db')}`;
        const log = join(t.dir, 'train.log');
        const N = 16;
        const args = ['--storage', url, '--study', 'S', '--trials', String(N), '--epochs', '5', '--epoch-ms', '40', '--batch', '2', '--log', log, ...(mode === 'grid' ? ['--grid'] : [])];
        const first = startWorker(args);
        let before: TrialRecord[] = [];
        const deadline = Date.now() + 60_000;
        while (before.length < 4) {
          if (Date.now() > deadline) throw new Error(`no 4 completed trials within 60 s: ${(await Promise.race([first.done, Promise.resolve(null)]))?.stderr ?? 'worker still running'}`);
          await new Promise((r) => setTimeout(r, 30));
          before = await completedTrials(url, 'S');
        }
        first.child.kill('SIGKILL');
        await first.done;
        before = await completedTrials(url, 'S');
        expect(before.length).toBeGreaterThanOrEqual(4);
        expect(before.length).toBeLessThan(N);
        const startsBeforeKill = logLines(log, 'start').length;

        const second = startWorker(args);
        const end = await second.done;
        expect(end.stderr).toBe('');
        expect(end.code).toBe(0);

        const store = await openStore(url, { create: false });
        const s = await store.loadStudy('S');
        const after = await store.trials(s);
        const rows = await store.trialRows(s);
        await store.close();
        // exactly N trials, all complete, ids 0..N-1, N distinct configurations
        expect(after.map((x) => x.id)).toEqual(Array.from({ length: N }, (_, i) => i));
        expect(after.every((x) => x.state === 'complete' && x.intermediate.length === 5)).toBe(true);
        expect(new Set(after.map((x) => JSON.stringify(x.params))).size).toBe(N);
        // every trial completed before the kill is still there, unchanged
        for (const b of before) expect(after.find((x) => x.id === b.id)).toEqual(b);
        // nothing that had finished was trained again; each configuration finished once
        const finishedBefore = new Set(before.map((b) => b.params).map((p) => JSON.stringify(p)));
        const startsAfterKill = logLines(log, 'start').slice(startsBeforeKill);
        expect(startsAfterKill.filter((l) => finishedBefore.has(l.params))).toEqual([]);
        const done = logLines(log, 'done').map((l) => l.params);
        expect(new Set(done).size).toBe(done.length);
        // trials cut short by the kill were retried, same id and configuration, as a second attempt
        const retried = rows.filter((r) => r.attempts === 2).map((r) => r.record.id);
        const cut = logLines(log, 'start').slice(0, startsBeforeKill).filter((l) => !before.some((b) => b.id === l.id)).map((l) => l.id);
        // (a trial may also have been claimed just before the kill, before its training started)
        for (const id of cut) expect(retried).toContain(id);
        for (const id of retried) expect(before.some((b) => b.id === id)).toBe(false);

        // a third run of the finished study trains nothing
        const third = startWorker(args);
        expect((await third.done).code).toBe(0);
        expect(logLines(log, 'start')).toHaveLength(startsBeforeKill + startsAfterKill.length);
      } finally {
        t.remove();
      }
    });
  }

  it('two processes on one SQLite file share a study: N trials, none twice, none lost', async () => {
    const t = tempDir();
    try {
      const url = `sqlite:///${join(t.dir, 'shared.db')}`;
      const log = join(t.dir, 'train.log');
      const N = 14;
      const args = ['--storage', url, '--study', 'S', '--trials', String(N), '--epochs', '3', '--epoch-ms', '30', '--batch', '2', '--log', log];
      const [a, b] = [startWorker(args), startWorker(args)];
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect([ra.stderr, rb.stderr]).toEqual(['', '']);
      expect([ra.code, rb.code]).toEqual([0, 0]);
      const store = await openStore(url, { create: false });
      const rows = await store.trialRows(await store.loadStudy('S'));
      await store.close();
      expect(rows.map((r) => r.record.id)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(rows.every((r) => r.record.state === 'complete' && r.attempts === 1)).toBe(true);
      expect(new Set(rows.map((r) => JSON.stringify(r.record.params))).size).toBe(N);
      expect(logLines(log, 'done').map((d) => d.id).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(new Set(rows.map((r) => r.worker)).size).toBe(2);
    } finally {
      t.remove();
    }
  });
});
