/**
 * Opening a store by its `--storage` URL, apart from the interface (store.ts) that the stores implement: the
 * factory imports the stores, the stores import the interface, so keeping both in one module made an import circle.
 */
import { parseStorageUrl } from './store-url.ts';
import type { OpenOptions, StudyStore } from './store.ts';

/** Opens the store a `--storage` URL names (undefined: the default SQLite file). */
export async function openStore(url?: string, opts: OpenOptions = {}): Promise<StudyStore> {
  const location = parseStorageUrl(url);
  if (location.kind === 'sqlite') {
    const { SqliteStore } = await import('./stores/sqlite.ts');
    return SqliteStore.open(location, opts);
  }
  const { PostgresStore } = await import('./stores/postgres.ts');
  return PostgresStore.open(location, opts);
}

/** A worker name unique across machines and processes: host:pid:random. */
export async function workerName(): Promise<string> {
  const { hostname } = await import('node:os');
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}
