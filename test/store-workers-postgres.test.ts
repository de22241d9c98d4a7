/**
 * Several workers on one PostgreSQL study, as on several machines: real processes (test/fixtures/store-worker.ts)
 * with worker names of different hosts, so a dead one is noticed only by its missing heartbeats. Together they
 * must finish N trials with no trial trained to completion twice and none lost — also when one is killed mid-way
 * (heartbeat timeout 2 s: the survivor hands its trials back and finishes them). Needs the server .ci/run starts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import { completedTrials, freshPostgres, logLines, startWorker, tempDir } from './helpers/store-fixtures.ts';

describe('two workers on one PostgreSQL study', () => {
  let db: Awaited<ReturnType<typeof freshPostgres>>;
  const t = tempDir();
  beforeAll(async () => {
    db = await freshPostgres();
  });
  afterAll(async () => {
    await db?.drop();
    t.remove();
  });

  async function finalState(study: string) {
    const store = await openStore(db.url, { create: false });
    try {
      const s = await store.loadStudy(study);
      return await store.trialRows(s);
    } finally {
      await store.close();
    }
  }

  for (const mode of ['sampled', 'grid'] as const) {
    it(`finish N trials together, none twice and none lost (${mode})`, async () => {
      const N = 16, study = `both-${mode}`, log = join(t.dir, `${study}.log`);
      const args = (w: string) => ['--storage', db.url, '--study', study, '--trials', String(N), '--epochs', '3', '--epoch-ms', '30', '--batch', '2', '--log', log, '--worker', `machine-${w}:${w === 'a' ? 1 : 2}:x`, ...(mode === 'grid' ? ['--grid'] : [])];
      const [a, b] = [startWorker(args('a')), startWorker(args('b'))];
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect([ra.stderr, rb.stderr]).toEqual(['', '']);
      expect([ra.code, rb.code]).toEqual([0, 0]);
      const rows = await finalState(study);
      expect(rows.map((r) => r.record.id)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(rows.every((r) => r.record.state === 'complete' && r.attempts === 1)).toBe(true);
      expect(new Set(rows.map((r) => JSON.stringify(r.record.params))).size).toBe(N);
      const done = logLines(log, 'done');
      expect(done.map((d) => d.id).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
      // both took part
      expect(new Set(rows.map((r) => r.worker)).size).toBe(2);
    });
  }

  it('finish N trials when one worker is killed mid-way: its trials go back after 2 s without heartbeats', async () => {
    const N = 14, study = 'one-killed', log = join(t.dir, `${study}.log`);
    const args = (w: string) => ['--storage', db.url, '--study', study, '--trials', String(N), '--epochs', '4', '--epoch-ms', '60', '--batch', '2', '--log', log, '--worker', `machine-${w}:${w === 'a' ? 1 : 2}:x`, '--heartbeat', '0.3', '--stale', '2'];
    const victim = startWorker(args('a'));
    const survivor = startWorker(args('b'));
    const deadline = Date.now() + 60_000;
    // kill the victim while it is running trials, after some have completed
    for (;;) {
      if (Date.now() > deadline) throw new Error('the workers completed no 3 trials within 60 s');
      await new Promise((r) => setTimeout(r, 30));
      const done = await completedTrials(db.url, study);
      const starts = logLines(log, 'start').filter((l) => l.id >= 0);
      const victimRunning = starts.length > 0 && (await finalState(study)).some((r) => r.record.state === 'running' && r.worker === 'machine-a:1:x');
      if (done.length >= 3 && victimRunning) break;
    }
    victim.child.kill('SIGKILL');
    await victim.done;
    const lost = (await finalState(study)).filter((r) => r.record.state === 'running' && r.worker === 'machine-a:1:x').map((r) => r.record.id);
    expect(lost.length).toBeGreaterThan(0);
    const end = await survivor.done;
    expect(end.stderr).toBe('');
    expect(end.code).toBe(0);
    const rows = await finalState(study);
    expect(rows.map((r) => r.record.id)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(rows.every((r) => r.record.state === 'complete')).toBe(true);
    expect(new Set(rows.map((r) => JSON.stringify(r.record.params))).size).toBe(N);
    // the killed worker's trials were retried by the survivor, as second attempts
    for (const id of lost) {
      const r = rows.find((x) => x.record.id === id)!;
      expect(r.worker).toBe('machine-b:2:x');
      expect(r.attempts).toBe(2);
    }
    // every trial finished exactly once
    const done = logLines(log, 'done').map((d) => d.id).sort((x, y) => x - y);
    expect(done).toEqual(Array.from({ length: N }, (_, i) => i));
  });
});
