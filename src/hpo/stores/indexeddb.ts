/**
 * A study store in the page's IndexedDB, so a study begun in a browser survives a reload: the StudyStore interface
 * with the in-memory store's rules (src/hpo/stores/memory.ts) made durable. Every operation is one transaction in
 * the SQLite store's sense: under an exclusive Web Lock named for the database (held across tabs and workers of the
 * origin, as SQLite's IMMEDIATE transaction holds its file), it reads the studies it touches into a MemoryDatabase,
 * runs the memory store's operation there, and writes back what a writing operation changed. So the invariants —
 * ids 0, 1, 2, … per study, the trial limit, one worker per claimed trial, appended intermediate values, reaping —
 * are written once, in memory.ts, and hold for every page sharing the database. Records are stored as structured
 * clones (NaN and ±Infinity kept). Browser only: it imports nothing from Node.
 */
import { MemoryDatabase, MemoryStore } from './memory.ts';
import { StoreError, StudyNotFoundError, type CreateOptions, type IndexedDbLocation, type NewTrial, type ReapOptions, type ReapResult, type StudyStore, type StudySummary, type TrialRow } from '../store.ts';
import type { Study, StudySpec } from '../store-spec.ts';
import type { TrialParams } from '../space.ts';
import type { IntermediateValue, TrialRecord } from '../trial.ts';

type StoredStudy = MemoryDatabase['studies'] extends Map<string, infer S> ? S : never;

const STUDIES = 'studies';
const META = 'meta';
const VERSION = 1;

export class IndexedDbStore implements StudyStore {
  readonly location: IndexedDbLocation;
  readonly url: string;
  private local: Promise<unknown> = Promise.resolve();

  private constructor(private readonly idb: IDBDatabase, readonly dbName: string) {
    this.url = `indexeddb:${dbName}`;
    this.location = { kind: 'indexeddb', display: this.url };
  }

  /** Opens (creating when missing) this origin's IndexedDB database `name`. */
  static async open(name = 'shadergrad'): Promise<IndexedDbStore> {
    if (typeof indexedDB === 'undefined') throw new StoreError(`indexeddb:${name}: this environment has no IndexedDB (a page or a Web Worker has)`);
    const req = indexedDB.open(name, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STUDIES)) db.createObjectStore(STUDIES, { keyPath: 'name' });
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    try {
      return new IndexedDbStore(await done(req), name);
    } catch (e) {
      throw new StoreError(`indexeddb:${name}: could not open the database: ${(e as Error)?.message ?? e}`);
    }
  }

  createStudy(spec: StudySpec): Promise<Study> {
    return this.op(spec.name, true, (m) => m.createStudy(spec));
  }

  loadStudy(name: string): Promise<Study> {
    return this.op(name, false, (m) => m.loadStudy(name));
  }

  getOrCreateStudy(spec: StudySpec): Promise<{ study: Study; created: boolean }> {
    return this.op(spec.name, true, (m) => m.getOrCreateStudy(spec));
  }

  listStudies(): Promise<StudySummary[]> {
    return this.op(null, false, (m) => m.listStudies());
  }

  deleteStudy(name: string): Promise<void> {
    return this.op(name, true, (m) => m.deleteStudy(name));
  }

  createTrial(study: Study, trial: NewTrial, opts?: CreateOptions): Promise<TrialRecord | null> {
    return this.op(study.name, true, (m) => m.createTrial(study, trial, opts));
  }

  createTrialWith(study: Study, opts: CreateOptions, make: (id: number, trials: TrialRecord[]) => NewTrial | null | Promise<NewTrial | null>): Promise<TrialRecord | null> {
    return this.op(study.name, true, (m) => m.createTrialWith(study, opts, make));
  }

  enqueueTrials(study: Study, points: TrialParams[], seeds: number[]): Promise<number> {
    return this.op(study.name, true, (m) => m.enqueueTrials(study, points, seeds));
  }

  updateTrial(study: Study, trial: TrialRecord, worker?: string): Promise<void> {
    return this.op(study.name, true, (m) => m.updateTrial(study, trial, worker));
  }

  addIntermediate(study: Study, trialId: number, values: IntermediateValue[]): Promise<void> {
    return this.op(study.name, true, (m) => m.addIntermediate(study, trialId, values));
  }

  trials(study: Study): Promise<TrialRecord[]> {
    return this.op(study.name, false, (m) => m.trials(study));
  }

  trialRows(study: Study): Promise<TrialRow[]> {
    return this.op(study.name, false, (m) => m.trialRows(study));
  }

  claimWaiting(study: Study, worker: string, n: number): Promise<TrialRecord[]> {
    return this.op(study.name, true, (m) => m.claimWaiting(study, worker, n));
  }

  heartbeat(study: Study, worker: string, trialIds: number[]): Promise<void> {
    return this.op(study.name, true, (m) => m.heartbeat(study, worker, trialIds));
  }

  reapStale(study: Study, timeoutSeconds: number, opts?: ReapOptions): Promise<ReapResult> {
    return this.op(study.name, true, (m) => m.reapStale(study, timeoutSeconds, opts));
  }

  async close(): Promise<void> {
    await this.local.catch(() => undefined);
    this.idb.close();
  }

  /**
   * One transaction: under the lock, the study `name` (every study when null) is read into a MemoryDatabase, `fn`
   * runs the memory store's operation on it, and when `write` and `fn` succeeded, the result goes back to IndexedDB.
   * A failed operation writes nothing.
   */
  private op<T>(name: string | null, write: boolean, fn: (m: MemoryStore) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const mem = new MemoryDatabase();
      const loaded = await this.read(name, mem);
      let out: T;
      try {
        out = await fn(new MemoryStore(mem, this.dbName));
      } catch (e) {
        throw await this.restated(e);
      }
      if (write) await this.write(mem, loaded);
      return out;
    });
  }

  /** Reads the study (or all) and the key counter into `mem`; returns the names read. */
  private async read(name: string | null, mem: MemoryDatabase): Promise<string[]> {
    const tx = this.idb.transaction([STUDIES, META], 'readonly');
    const studies = tx.objectStore(STUDIES);
    const [records, nextKey] = await Promise.all([
      name === null ? done(studies.getAll()) : done(studies.get(name)).then((r) => (r ? [r] : [])),
      done(tx.objectStore(META).get('nextKey')),
    ]);
    mem.nextKey = typeof nextKey === 'number' ? nextKey : 1;
    for (const r of records as (StoredStudy & { name: string })[]) {
      const { name: n, ...s } = r;
      mem.studies.set(n, s);
    }
    return (records as { name: string }[]).map((r) => r.name);
  }

  private async write(mem: MemoryDatabase, loaded: string[]): Promise<void> {
    const tx = this.idb.transaction([STUDIES, META], 'readwrite');
    const studies = tx.objectStore(STUDIES);
    for (const n of loaded) if (!mem.studies.has(n)) studies.delete(n);
    for (const [n, s] of mem.studies) studies.put({ name: n, ...s });
    tx.objectStore(META).put(mem.nextKey, 'nextKey');
    await new Promise<void>((res, rej) => {
      tx.oncomplete = () => res();
      tx.onerror = tx.onabort = () => rej(new StoreError(`${this.url}: could not write: ${tx.error?.message ?? 'the transaction was aborted'}`));
    });
  }

  /** The memory store's errors name "memory:…" and only the studies it was given: name this database and all of its studies. */
  private async restated(e: unknown): Promise<unknown> {
    if (e instanceof StudyNotFoundError) {
      const names = (await done(this.idb.transaction(STUDIES, 'readonly').objectStore(STUDIES).getAllKeys())).map(String).sort();
      return new StudyNotFoundError(e.study, this.url, names);
    }
    if (e instanceof Error && e.message.includes(`memory:${this.dbName}`)) e.message = e.message.split(`memory:${this.dbName}`).join(this.url);
    return e;
  }

  /** Runs `fn` alone: after this store's earlier operations, and under the database's Web Lock (every tab and worker). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    const run: Promise<T> = this.local.then(() => (locks ? (locks.request(`shadergrad-indexeddb:${this.dbName}`, { mode: 'exclusive' }, fn) as Promise<T>) : fn()));
    this.local = run.catch(() => undefined);
    return run;
  }
}

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((res, rej) => {
    req.onsuccess = () => res(req.result);
    req.onerror = () => rej(req.error ?? new Error('IndexedDB request failed'));
  });
}

/**
 * A page's worker name and the test that tells whether another page's worker is dead: each worker holds a Web Lock
 * named for itself for as long as it lives, and the browser frees it when the page closes or reloads. So a reloaded
 * page finds the trials its previous life left running and hands them back at once (as the CLI does for a process
 * of its machine that is gone), instead of waiting for their heartbeats to time out.
 */
export async function pageWorker(): Promise<{ name: string; isDead: (worker: string) => Promise<boolean> }> {
  const name = `page:${crypto.randomUUID()}`;
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return { name, isDead: async () => false };
  await new Promise<void>((held) => {
    void locks.request(`shadergrad-worker:${name}`, () => {
      held();
      return new Promise<never>(() => undefined); // held until this worker ends
    });
  });
  return {
    name,
    isDead: async (worker) => {
      if (!worker.startsWith('page:')) return false; // a CLI worker: its heartbeats tell
      const held = (await locks.query()).held ?? [];
      return !held.some((l) => l.name === `shadergrad-worker:${worker}`);
    },
  };
}
