/**
 * The embedded study store: one SQLite file through better-sqlite3 (12), the default. WAL mode, so readers (the
 * dashboard, `study show`) never block the search that writes; synchronous=NORMAL, so a commit costs no fsync yet
 * survives the writer being killed (kill -9), which is the crash a search meets; busy_timeout, so several processes
 * on one machine may share the file. Every state change is one transaction; the ones that must see a consistent
 * study (next id, trial count, claims) are BEGIN IMMEDIATE, which takes the file's write lock before reading.
 *
 * better-sqlite3 is synchronous; the store wraps it in the async interface and serializes its calls in-process
 * (createTrialWith awaits the sampler inside its transaction, and nothing else may run on the connection then).
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { TrialParams } from '../space.ts';
import { canonical, checkStudySpec, checkStudyName, mismatchMessage, specDifference, type Study, type StudySpec } from '../store-spec.ts';
import {
  StoreError, StudyExistsError, StudyMismatchError, StudyNotFoundError, TrialTakenError,
  type CreateOptions, type NewTrial, type OpenOptions, type ReapOptions, type ReapResult, type StudyStore, type StudySummary, type TrialRow,
} from '../store.ts';
import { defaultStoragePath, type StorageLocation } from '../store-url.ts';
import { studyDeleted } from '../store-error.ts';
import type { IntermediateValue, TrialRecord } from '../trial.ts';
import { decode, encode, groupIntermediate, newIntermediate, rowToTrial, summarize, updateColumns, type TrialColumns } from './codec.ts';

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
  key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec TEXT NOT NULL, enqueued INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
  study INTEGER NOT NULL REFERENCES studies(key) ON DELETE CASCADE, id INTEGER NOT NULL,
  params TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, seeds TEXT NOT NULL, budget INTEGER NOT NULL,
  vals TEXT NOT NULL, values_sd TEXT, seconds REAL NOT NULL, detail TEXT,
  attempts INTEGER NOT NULL, worker TEXT, heartbeat_at REAL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
  PRIMARY KEY (study, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trials_by_state ON trials (study, state);
CREATE TABLE IF NOT EXISTS intermediate (
  study INTEGER NOT NULL, trial INTEGER NOT NULL, epoch INTEGER NOT NULL, value REAL,
  PRIMARY KEY (study, trial, epoch),
  FOREIGN KEY (study, trial) REFERENCES trials (study, id) ON DELETE CASCADE) WITHOUT ROWID;
`;

const TRIAL_COLUMNS = 'id, params, state, reason, seeds, budget, vals, values_sd, seconds, detail, attempts, worker, heartbeat_at, created_at, updated_at';

type Db = BetterSqlite3.Database;

export class SqliteStore implements StudyStore {
  readonly url: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly st: ReturnType<SqliteStore['prepare']>;
  private readonly updateTx: ReturnType<SqliteStore['makeUpdateTx']>;

  private constructor(readonly location: Extract<StorageLocation, { kind: 'sqlite' }>, private readonly db: Db) {
    this.url = location.display;
    this.st = this.prepare();
    this.updateTx = this.makeUpdateTx();
  }

  static async open(location: Extract<StorageLocation, { kind: 'sqlite' }>, opts: OpenOptions = {}): Promise<SqliteStore> {
    const create = opts.create ?? true;
    const file = location.file;
    const where = location.display;
    let Database: typeof BetterSqlite3;
    try {
      Database = (await import('better-sqlite3')).default;
    } catch (e) {
      throw new StoreError(`${where}: the better-sqlite3 package cannot be loaded (${(e as Error).message.split('\n')[0]})`);
    }
    const memory = file === ':memory:';
    const exists = !memory && existsSync(file);
    if (!memory && exists && statSync(file).isDirectory()) throw new StoreError(`${where}: ${file} is a folder, not a database file`);
    if (!memory && !exists) {
      const dir = dirname(file);
      if (!create) {
        // Nothing to read and nothing may be written: an empty database in memory answers "no studies there".
        return SqliteStore.init(new Database(':memory:'), location, true);
      }
      if (file === defaultStoragePath()) mkdirSync(dir, { recursive: true });
      if (!existsSync(dir)) throw new StoreError(`${where}: cannot create the database, folder ${dir} does not exist`);
      if (!writable(dir)) throw new StoreError(`${where}: cannot create the database, folder ${dir} is read-only`);
    }
    if (exists && !(writable(file) && writable(dirname(file)))) {
      // Even a reader of a WAL-mode file writes its shared-memory index beside it: a read-only file is refused
      // up front, with its name, rather than by whichever statement first trips over it.
      const what = writable(file) ? `folder ${dirname(file)}` : file;
      throw new StoreError(`${where}: ${what} is read-only, so the study ${create ? 'cannot be written' : 'store cannot be opened (SQLite in WAL mode writes beside it even to read)'}`);
    }
    let db: Db;
    try {
      db = new Database(file, { fileMustExist: exists });
    } catch (e) {
      throw new StoreError(`${where}: cannot open ${file} (${oneLine(e)})`);
    }
    try {
      return SqliteStore.init(db, location, create);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private static init(db: Db, location: Extract<StorageLocation, { kind: 'sqlite' }>, create: boolean): SqliteStore {
    const file = location.file;
    try {
      // The first read tells a corrupt or foreign file apart before anything is written to it.
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
      const names = new Set(tables.map((t) => t.name));
      if (tables.length > 0 && !names.has('studies')) {
        throw new StoreError(`${location.display}: ${file} is a SQLite database but not a study store (no studies table)`);
      }
      if (tables.length === 0 && !create && file !== ':memory:') {
        // An empty file (a writer that has not made its tables yet): read it as a store without studies.
        db.close();
        return SqliteStore.init(new (db.constructor as typeof BetterSqlite3)(':memory:'), location, true);
      }
      // First, so that even switching to WAL waits for another process's lock instead of failing at once.
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Checkpoints are where WAL mode fsyncs: every 10000 pages (~40 MB) rather than 1000, so a search that commits
      // after every epoch pays for one far less often.
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma('foreign_keys = ON');
      if (!names.has('studies')) {
        db.exec(`BEGIN IMMEDIATE; ${SCHEMA}; INSERT OR IGNORE INTO meta VALUES ('schema', '${SCHEMA_VERSION}'); COMMIT;`);
      } else {
        const v = (db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined)?.value;
        if (v !== SCHEMA_VERSION) throw new StoreError(`${location.display}: study store schema ${v ?? 'unknown'}, this shadergrad reads ${SCHEMA_VERSION}`);
      }
    } catch (e) {
      if (e instanceof StoreError) throw e;
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new StoreError(`${file} is not a SQLite database (${oneLine(e)})`);
      if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') throw new StoreError(`${location.display}: ${file} cannot be written (${oneLine(e)})`);
      throw new StoreError(`${location.display}: ${oneLine(e)}`);
    }
    return new SqliteStore(location, db);
  }

  private prepare() {
    const db = this.db;
    return {
      studyByName: db.prepare(`SELECT key, name, spec, created_at FROM studies WHERE name = ?`),
      studyNames: db.prepare(`SELECT name FROM studies ORDER BY name`),
      studies: db.prepare(`SELECT key, name, spec, created_at, updated_at FROM studies ORDER BY name`),
      summaryRows: db.prepare(`SELECT state, vals, updated_at FROM trials WHERE study = ?`),
      insertStudy: db.prepare(`INSERT INTO studies (name, spec, created_at, updated_at) VALUES (?, ?, ?, ?)`),
      setSpec: db.prepare(`UPDATE studies SET spec = ?, updated_at = ? WHERE key = ?`),
      deleteStudy: db.prepare(`DELETE FROM studies WHERE key = ?`),
      touchStudy: db.prepare(`UPDATE studies SET updated_at = ? WHERE key = ?`),
      count: db.prepare(`SELECT count(*) AS n, coalesce(max(id), -1) AS last FROM trials WHERE study = ?`),
      insertTrial: db.prepare(
        `INSERT INTO trials (study, id, params, state, reason, seeds, budget, vals, values_sd, seconds, detail, attempts, worker, heartbeat_at, created_at, updated_at)
         VALUES (@study, @id, @params, @state, @reason, @seeds, @budget, @vals, @values_sd, @seconds, @detail, @attempts, @worker, @heartbeat_at, @now, @now)`,
      ),
      updateTrial: db.prepare(
        `UPDATE trials SET state = @state, reason = @reason, seeds = @seeds, budget = @budget, vals = @vals, values_sd = @values_sd,
           seconds = @seconds, detail = @detail, heartbeat_at = @now, updated_at = @now
         WHERE study = @study AND id = @id AND (@worker IS NULL OR (worker = @worker AND state = 'running'))`,
      ),
      lastEpoch: db.prepare(`SELECT coalesce(max(epoch), 0) AS e FROM intermediate WHERE study = ? AND trial = ?`),
      insertIntermediate: db.prepare(`INSERT OR REPLACE INTO intermediate (study, trial, epoch, value) VALUES (?, ?, ?, ?)`),
      trials: db.prepare(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE study = ? ORDER BY id`),
      intermediate: db.prepare(`SELECT trial AS trial_id, epoch, value FROM intermediate WHERE study = ? ORDER BY trial, epoch`),
      enqueued: db.prepare(`SELECT enqueued FROM studies WHERE key = ?`),
      setEnqueued: db.prepare(`UPDATE studies SET enqueued = 1, updated_at = ? WHERE key = ?`),
      waiting: db.prepare(`SELECT id FROM trials WHERE study = ? AND state = 'waiting' ORDER BY id LIMIT ?`),
      claim: db.prepare(`UPDATE trials SET state = 'running', worker = ?, attempts = attempts + 1, heartbeat_at = ?, updated_at = ? WHERE study = ? AND id = ? AND state = 'waiting'`),
      trialById: db.prepare(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE study = ? AND id = ?`),
      heartbeat: db.prepare(`UPDATE trials SET heartbeat_at = ? WHERE study = ? AND id = ? AND worker = ? AND state = 'running'`),
      running: db.prepare(`SELECT id, attempts, worker, coalesce(heartbeat_at, updated_at) AS beat FROM trials WHERE study = ? AND state = 'running'`),
      retry: db.prepare(`UPDATE trials SET state = 'waiting', worker = NULL, budget = 0, vals = '{}', values_sd = NULL, seconds = 0, reason = ?, updated_at = ? WHERE study = ? AND id = ?`),
      fail: db.prepare(`UPDATE trials SET state = 'failed', reason = ?, updated_at = ? WHERE study = ? AND id = ?`),
      clearIntermediate: db.prepare(`DELETE FROM intermediate WHERE study = ? AND trial = ?`),
    };
  }

  /** Runs calls one after another, so an open transaction never sees another call on the connection. */
  private run<T>(fn: () => T | Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next.then(
      (v) => v,
      (e) => {
        throw this.explain(e);
      },
    );
  }

  private explain(e: unknown): unknown {
    const code = (e as { code?: string }).code;
    if (code?.startsWith('SQLITE_READONLY')) {
      return new StoreError(`${this.url}: ${this.location.file} is read-only, so the study cannot be changed`);
    }
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return new StoreError(`${this.url}: ${oneLine(e)} (${code})`);
    return e;
  }

  private studyOf(row: { key: number; name: string; spec: string; created_at: number }): Study {
    return { key: Number(row.key), name: row.name, spec: decode<StudySpec>(row.spec)!, createdAt: Number(row.created_at) };
  }

  private names(): string[] {
    return (this.st.studyNames.all() as { name: string }[]).map((r) => r.name);
  }

  private findStudy(name: string): Study {
    const row = this.st.studyByName.get(name) as { key: number; name: string; spec: string; created_at: number } | undefined;
    if (!row) throw new StudyNotFoundError(name, this.url, this.names());
    return this.studyOf(row);
  }

  createStudy(spec: StudySpec): Promise<Study> {
    return this.run(() => this.db.transaction(() => {
      checkStudySpec(spec);
      if (this.st.studyByName.get(spec.name)) throw new StudyExistsError(`study "${spec.name}" already exists in ${this.url}`);
      const now = Date.now();
      const info = this.st.insertStudy.run(spec.name, encode(canonical(spec)), now, now);
      return { key: Number(info.lastInsertRowid), name: spec.name, spec: canonical(spec), createdAt: now };
    }).immediate());
  }

  loadStudy(name: string): Promise<Study> {
    return this.run(() => this.findStudy(name));
  }

  getOrCreateStudy(spec: StudySpec): Promise<{ study: Study; created: boolean }> {
    return this.run(() => this.db.transaction(() => {
      checkStudySpec(spec);
      const row = this.st.studyByName.get(spec.name) as { key: number; name: string; spec: string; created_at: number } | undefined;
      const now = Date.now();
      if (!row) {
        const info = this.st.insertStudy.run(spec.name, encode(canonical(spec)), now, now);
        return { study: { key: Number(info.lastInsertRowid), name: spec.name, spec: canonical(spec), createdAt: now }, created: true };
      }
      const study = this.studyOf(row);
      const d = specDifference(study.spec, spec);
      if (d) throw new StudyMismatchError(mismatchMessage(spec.name, this.url, d));
      if (spec.nTrials !== undefined && spec.nTrials !== study.spec.nTrials) {
        study.spec = { ...study.spec, nTrials: spec.nTrials };
        this.st.setSpec.run(encode(study.spec), now, study.key);
      }
      return { study, created: false };
    }).immediate());
  }

  listStudies(): Promise<StudySummary[]> {
    return this.run(() => this.db.transaction(() => {
      const rows = this.st.studies.all() as { key: number; name: string; spec: string; created_at: number; updated_at: number }[];
      return rows.map((r) => summarize(r.name, decode<StudySpec>(r.spec)!, Number(r.created_at), Number(r.updated_at), this.st.summaryRows.all(r.key) as never));
    }).deferred());
  }

  deleteStudy(name: string): Promise<void> {
    return this.run(() => this.db.transaction(() => {
      checkStudyName(name);
      const s = this.findStudy(name);
      this.st.deleteStudy.run(s.key);
    }).immediate());
  }

  private insert(study: Study, id: number, t: NewTrial, worker: string | undefined, now: number): TrialRecord {
    const running = t.state === 'running';
    this.st.insertTrial.run({
      study: study.key, id, params: encode(t.params), ...updateColumns(t),
      attempts: running ? 1 : 0, worker: running ? (worker ?? null) : null, heartbeat_at: running ? now : null, now,
    });
    for (const v of t.intermediate) this.st.insertIntermediate.run(study.key, id, v.epoch, v.value);
    this.st.touchStudy.run(now, study.key);
    return { ...t, id, intermediate: [...t.intermediate] };
  }

  createTrial(study: Study, trial: NewTrial, opts: CreateOptions = {}): Promise<TrialRecord | null> {
    return this.createTrialWith(study, opts, () => trial);
  }

  createTrialWith(study: Study, opts: CreateOptions, make: (id: number, trials: TrialRecord[]) => NewTrial | null | Promise<NewTrial | null>): Promise<TrialRecord | null> {
    return this.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const { n, last } = this.st.count.get(study.key) as { n: number; last: number };
        if (opts.limit !== undefined && n >= opts.limit) {
          this.db.exec('COMMIT');
          return null;
        }
        const id = Number(last) + 1;
        // With intermediate values: TPE ranks pruned trials by their last one (as in a search without a store).
        const history = make.length >= 2 ? this.readTrials(study, true).map((r) => r.record) : [];
        // A synchronous sampler keeps the transaction synchronous: no other connection of this process can then
        // be waiting on the file's lock while this one holds it (better-sqlite3 waits by blocking the thread).
        const made = make(id, history);
        const t = made instanceof Promise ? await made : made;
        if (!t) {
          this.db.exec('COMMIT');
          return null;
        }
        const rec = this.insert(study, id, t, opts.worker, Date.now());
        this.db.exec('COMMIT');
        return rec;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  enqueueTrials(study: Study, points: TrialParams[], seeds: number[]): Promise<number> {
    return this.run(() => this.db.transaction(() => {
      const row = this.st.enqueued.get(study.key) as { enqueued: number } | undefined;
      if (!row) throw new StudyNotFoundError(study.name, this.url, this.names());
      if (row.enqueued) return 0;
      const now = Date.now();
      let { last } = this.st.count.get(study.key) as { last: number };
      for (const params of points) {
        this.insert(study, ++last, { params, state: 'waiting', seeds, budget: 0, intermediate: [], values: {}, seconds: 0 }, undefined, now);
      }
      this.st.setEnqueued.run(now, study.key);
      return points.length;
    }).immediate());
  }

  updateTrial(study: Study, trial: TrialRecord, worker?: string): Promise<void> {
    return this.run(() => this.updateTx.immediate(study, trial, worker));
  }

  /** The write a search makes after every epoch: built once, as it is the store's hot path (see bench/store.ts). */
  private makeUpdateTx() {
    return this.db.transaction((study: Study, trial: TrialRecord, worker?: string) => {
      const now = Date.now();
      const info = this.st.updateTrial.run({ study: study.key, id: trial.id, ...updateColumns(trial), now, worker: worker ?? null });
      if (info.changes !== 1) {
        if (worker !== undefined && this.st.trialById.get(study.key, trial.id)) throw new TrialTakenError(study.name, trial.id, worker);
        if (!this.st.enqueued.get(study.key)) throw new StoreError(studyDeleted(this.url, study.name, trial.id));
        throw new StoreError(`${this.url}: study "${study.name}" has no trial ${trial.id}`);
      }
      const { e } = this.st.lastEpoch.get(study.key, trial.id) as { e: number };
      for (const v of newIntermediate(trial, e)) this.st.insertIntermediate.run(study.key, trial.id, v.epoch, v.value);
      // The study's own row is left alone (its last update is the latest of its trials'): one page less per commit.
    });
  }

  addIntermediate(study: Study, trialId: number, values: IntermediateValue[]): Promise<void> {
    return this.run(() => this.db.transaction(() => {
      for (const v of values) this.st.insertIntermediate.run(study.key, trialId, v.epoch, v.value);
    }).immediate());
  }

  private readTrials(study: Study, withIntermediate: boolean): TrialRow[] {
    const rows = this.st.trials.all(study.key) as TrialColumns[];
    const inter = withIntermediate ? groupIntermediate(this.st.intermediate.all(study.key) as never) : new Map<number, IntermediateValue[]>();
    return rows.map((r) => rowToTrial(r, inter.get(Number(r.id)) ?? []));
  }

  trials(study: Study): Promise<TrialRecord[]> {
    return this.trialRows(study).then((rows) => rows.map((r) => r.record));
  }

  trialRows(study: Study): Promise<TrialRow[]> {
    return this.run(() => this.db.transaction(() => this.readTrials(study, true)).deferred());
  }

  claimWaiting(study: Study, worker: string, n: number): Promise<TrialRecord[]> {
    return this.run(() => this.db.transaction(() => {
      const now = Date.now();
      const ids = (this.st.waiting.all(study.key, n) as { id: number }[]).map((r) => Number(r.id));
      const out: TrialRecord[] = [];
      for (const id of ids) {
        if (this.st.claim.run(worker, now, now, study.key, id).changes !== 1) continue;
        out.push(rowToTrial(this.st.trialById.get(study.key, id) as TrialColumns, []).record);
      }
      if (out.length) this.st.touchStudy.run(now, study.key);
      return out;
    }).immediate());
  }

  heartbeat(study: Study, worker: string, trialIds: number[]): Promise<void> {
    return this.run(() => this.db.transaction(() => {
      const now = Date.now();
      for (const id of trialIds) this.st.heartbeat.run(now, study.key, id, worker);
    }).immediate());
  }

  reapStale(study: Study, timeoutSeconds: number, opts: ReapOptions = {}): Promise<ReapResult> {
    const maxAttempts = opts.maxAttempts ?? 3;
    const dead = new Set(opts.deadWorkers ?? []);
    return this.run(() => this.db.transaction(() => {
      const now = Date.now();
      const stale = this.st.running.all(study.key) as { id: number; attempts: number; worker: string | null; beat: number }[];
      const out: ReapResult = { retried: [], failed: [] };
      for (const s of stale) {
        if (opts.self !== undefined && s.worker === opts.self) continue;
        const gone = s.worker !== null && dead.has(s.worker);
        if (!gone && !(s.beat < now - timeoutSeconds * 1000)) continue;
        const why = gone
          ? `worker ${s.worker} died (its process is gone) on attempt ${s.attempts}`
          : `worker ${s.worker ?? '?'} stopped sending heartbeats (none for ${timeoutSeconds} s) on attempt ${s.attempts}`;
        if (s.attempts >= maxAttempts) {
          this.st.fail.run(`${why}; no attempts left (${maxAttempts})`, now, study.key, s.id);
          out.failed.push(Number(s.id));
        } else {
          this.st.retry.run(`retried: ${why}`, now, study.key, s.id);
          this.st.clearIntermediate.run(study.key, s.id);
          out.retried.push(Number(s.id));
        }
      }
      if (out.retried.length + out.failed.length) this.st.touchStudy.run(now, study.key);
      return out;
    }).immediate());
  }

  close(): Promise<void> {
    return this.run(() => {
      if (this.db.open) this.db.close();
    });
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
