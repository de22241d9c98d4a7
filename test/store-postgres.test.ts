/**
 * The PostgreSQL study store: the shared contract (test/helpers/store-contract.ts) on a fresh database of the
 * server `.ci/run` starts, with two connection pools racing as two machines would. Without a server this file
 * fails, saying how to get one.
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import { StoreError, type StudyStore } from '../src/hpo/store.ts';
import { storeContract } from './helpers/store-contract.ts';
import { freshPostgres, NO_POSTGRES, running, spec } from './helpers/store-fixtures.ts';

describe('the PostgreSQL test server', () => {
  it('is there (SHADERGRAD_TEST_POSTGRES, set by .ci/run)', () => {
    expect(process.env.SHADERGRAD_TEST_POSTGRES, NO_POSTGRES).toBeTruthy();
  });
});

let db: Awaited<ReturnType<typeof freshPostgres>> | undefined;
storeContract(
  'PostgreSQL',
  async () => {
    db ??= await freshPostgres();
    return openStore(db.url);
  },
  async () => db?.drop(),
);

describe('PostgreSQL claims under load', () => {
  it('hands 60 waiting trials to four racing workers with no trial twice and none lost', async () => {
    const d = await freshPostgres();
    const stores: StudyStore[] = [];
    try {
      for (let i = 0; i < 4; i++) stores.push(await openStore(d.url));
      const { study } = await stores[0].getOrCreateStudy(spec('load'));
      await Promise.all(stores.map((s) => s.enqueueTrials(study, Array.from({ length: 60 }, (_, i) => ({ lr: i })), [0])));
      const taken: number[][] = stores.map(() => []);
      await Promise.all(stores.map(async (s, w) => {
        for (;;) {
          const got = await s.claimWaiting(study, `w${w}`, 2);
          if (!got.length) return;
          taken[w].push(...got.map((t) => t.id));
          for (const t of got) await s.updateTrial(study, { ...t, state: 'complete', values: { 'valid-wacc': t.id } }, `w${w}`);
        }
      }));
      const all = taken.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(taken.filter((t) => t.length > 0).length).toBeGreaterThan(1);
      expect((await stores[1].trials(study)).every((t) => t.state === 'complete')).toBe(true);
      // and new trials with a limit, racing
      const extra = await stores[2].getOrCreateStudy(spec('load-new'));
      const made = await Promise.all(Array.from({ length: 24 }, (_, i) => stores[i % 4].createTrial(extra.study, running({ lr: i }), { limit: 15 })));
      expect(made.filter(Boolean).map((t) => t!.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    } finally {
      for (const s of stores) await s.close();
      await d.drop();
    }
  });

  it('says it cannot reach a server that is not there, within seconds', async () => {
    const t0 = Date.now();
    const err = await openStore('postgresql://u:secret@127.0.0.1:5/db').catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe('cannot reach PostgreSQL at 127.0.0.1:5 (ECONNREFUSED)');
    expect(Date.now() - t0).toBeLessThan(6000);
  });
});
