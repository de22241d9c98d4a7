/**
 * The SQLite study store: the shared contract (test/helpers/store-contract.ts) on a temporary file opened twice, as
 * two processes would, plus what only the file store has: WAL mode and its folder and file checks.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import { StoreError } from '../src/hpo/store.ts';
import { storeContract } from './helpers/store-contract.ts';
import { spec, tempDir } from './helpers/store-fixtures.ts';

const tmp = tempDir();
const file = join(tmp.dir, 'studies.db');
storeContract('SQLite', () => openStore(`sqlite:///${file}`), () => tmp.remove());

describe('SQLite store files', () => {
  it('uses WAL mode and names the file in its URL', async () => {
    const t = tempDir();
    try {
      const store = await openStore(`sqlite:///${join(t.dir, 'w.db')}`);
      await store.createStudy(spec('w'));
      expect(store.url).toBe(`sqlite:///${join(t.dir, 'w.db')}`);
      await store.close();
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(join(t.dir, 'w.db'), { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    } finally {
      t.remove();
    }
  });

  it('does not create a file for a read-only open, and answers that it holds no studies', async () => {
    const t = tempDir();
    try {
      const url = `sqlite:///${join(t.dir, 'none.db')}`;
      const store = await openStore(url, { create: false });
      expect(await store.listStudies()).toEqual([]);
      await expect(store.loadStudy('x')).rejects.toThrow(`no study named "x" in ${url}; it holds no studies`);
      await store.close();
      expect(existsSync(join(t.dir, 'none.db'))).toBe(false);
    } finally {
      t.remove();
    }
  });

  it('refuses a folder that does not exist, naming it, and creates nothing', async () => {
    const t = tempDir();
    try {
      const err = await openStore(`sqlite:///${join(t.dir, 'missing/x.db')}`).catch((e) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err.message).toBe(`sqlite:///${join(t.dir, 'missing/x.db')}: cannot create the database, folder ${join(t.dir, 'missing')} does not exist`);
      expect(existsSync(join(t.dir, 'missing'))).toBe(false);
    } finally {
      t.remove();
    }
  });
});
