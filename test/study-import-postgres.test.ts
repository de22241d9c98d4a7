/**
 * `shadergrad study import` into PostgreSQL (the store several machines share): an export written from SQLite comes
 * into a fresh database trial for trial, and `study show` there lists it. Needs the test server (`.ci/run` starts
 * one; SHADERGRAD_TEST_POSTGRES names it); without one the test fails and says why, as the other PostgreSQL tests do.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import { freshPostgres, runShadergrad, running, spec, tempDir } from './helpers/store-fixtures.ts';

const t = tempDir('shadergrad-import-pg-');
let pg: { url: string; drop(): Promise<void> };
let stored: TrialRecord[];
const file = join(t.dir, 'beta.json');

beforeAll(async () => {
  pg = await freshPostgres();
  const from = `sqlite:///${join(t.dir, 'from.db')}`;
  const store = await openStore(from);
  const s = await store.createStudy(spec('beta'));
  for (const [i, state] of (['complete', 'pruned', 'failed'] as const).entries()) {
    const tr = (await store.createTrial(s, running({ lr: 0.01 * (i + 1), hidden: 50 })))!;
    await store.updateTrial(s, { ...tr, state, budget: 2, seconds: 3, intermediate: [{ epoch: 1, value: 0.5 }, { epoch: 2, value: i === 2 ? Number.NaN : 0.6 }], values: { 'valid-wacc': i === 2 ? Number.NaN : 0.6 + i / 10 }, detail: { startedAt: 1, endedAt: 2 } });
  }
  stored = await store.trials(s);
  await store.close();
  const r = await runShadergrad(['study', 'export', 'beta', '--format', 'json', '--storage', from]);
  writeFileSync(file, r.stdout);
});
afterAll(async () => {
  await pg?.drop();
  t.remove();
});

describe('shadergrad study import into PostgreSQL', () => {
  it('loads every trial, then refuses a second import of the same study in one line', async () => {
    const r = await runShadergrad(['study', 'import', file, '--storage', pg.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const store = await openStore(pg.url, { create: false });
    try {
      const back = await store.trials(await store.loadStudy('beta'));
      expect(back).toEqual(stored);
    } finally {
      await store.close();
    }
    const show = await runShadergrad(['study', 'show', 'beta', '--storage', pg.url]);
    expect(show.stdout.split('\n').filter((l) => /^\d+\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['0 complete', '1 pruned', '2 failed']);
    const again = await runShadergrad(['study', 'import', file, '--storage', pg.url]);
    expect(again.code).toBe(1);
    expect(again.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain('study "beta" already exists in postgresql://');
  });
});
