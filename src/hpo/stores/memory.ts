/**
 * A study store in this process's memory: the StudyStore interface with nothing written anywhere, for a search that
 * keeps no study (the runner writes through a store either way, so stored and unstored searches are one loop), for
 * tests, and for a page. Several MemoryStores opened on one MemoryDatabase share its studies, as several
 * connections share one SQLite file; the same invariants hold (ids 0, 1, 2, … per study, the trial limit, one
 * worker per claimed trial, reaping), kept by running every operation under one lock. Records go in and out as
 * copies, so no caller can change a stored trial behind the store's back.
 */
import type { TrialParams } from '../space.ts';
import { studyDeleted } from '../store-error.ts';
import { canonical, checkStudyName, checkStudySpec, mismatchMessage, specDifference, type Study, type StudySpec } from '../store-spec.ts';
import {
  StoreError, StudyExistsError, StudyMismatchError, StudyNotFoundError, TrialTakenError,
  type CreateOptions, type MemoryLocation, type NewTrial, type ReapOptions, type ReapResult, type StudyStore, type StudySummary, type TrialRow,
} from '../store.ts';
import type { IntermediateValue, TrialRecord } from '../trial.ts';
import { encode, summarize } from './codec.ts';

interface StoredStudy {
  key: number;
  spec: StudySpec;
  createdAt: number;
  updatedAt: number;
  enqueued: boolean;
  rows: Map<number, TrialRow>;
}

/** The studies several MemoryStores share, and the lock that makes each operation one transaction. */
export class MemoryDatabase {
  readonly studies = new Map<string, StoredStudy>();
  nextKey = 1;
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every operation queued before it: transactions never interleave, however long `fn` awaits. */
  exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

const copy = <T>(v: T): T => structuredClone(v);

export class MemoryStore implements StudyStore {
  readonly location: MemoryLocation;
  readonly url: string;

  /** A store on `db` (a new, empty one by default); `name` only labels messages ("memory:NAME"). */
  constructor(readonly db: MemoryDatabase = new MemoryDatabase(), name = '') {
    this.url = `memory:${name}`;
    this.location = { kind: 'memory', display: this.url };
  }

  createStudy(spec: StudySpec): Promise<Study> {
    return this.db.exclusive(() => {
      checkStudySpec(spec);
      if (this.db.studies.has(spec.name)) throw new StudyExistsError(`study "${spec.name}" already exists in ${this.url}`);
      return this.insertStudy(spec);
    });
  }

  loadStudy(name: string): Promise<Study> {
    return this.db.exclusive(() => this.studyOf(name, this.find(name)));
  }

  getOrCreateStudy(spec: StudySpec): Promise<{ study: Study; created: boolean }> {
    return this.db.exclusive(() => {
      checkStudySpec(spec);
      const s = this.db.studies.get(spec.name);
      if (!s) return { study: this.insertStudy(spec), created: true };
      const d = specDifference(s.spec, spec);
      if (d) throw new StudyMismatchError(mismatchMessage(spec.name, this.url, d));
      if (spec.nTrials !== undefined && spec.nTrials !== s.spec.nTrials) {
        s.spec = { ...s.spec, nTrials: spec.nTrials };
        s.updatedAt = Date.now();
      }
      return { study: this.studyOf(spec.name, s), created: false };
    });
  }

  listStudies(): Promise<StudySummary[]> {
    return this.db.exclusive(() => [...this.db.studies.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, s]) => {
      const rows = [...s.rows.values()].map((r) => ({ state: r.record.state, vals: encode(r.record.values), updated_at: r.updatedAt }));
      return summarize(name, copy(s.spec), s.createdAt, s.updatedAt, rows);
    }));
  }

  deleteStudy(name: string): Promise<void> {
    return this.db.exclusive(() => {
      checkStudyName(name);
      this.find(name);
      this.db.studies.delete(name);
    });
  }

  createTrial(study: Study, trial: NewTrial, opts: CreateOptions = {}): Promise<TrialRecord | null> {
    return this.createTrialWith(study, opts, () => trial);
  }

  createTrialWith(study: Study, opts: CreateOptions, make: (id: number, trials: TrialRecord[]) => NewTrial | null | Promise<NewTrial | null>): Promise<TrialRecord | null> {
    return this.db.exclusive(async () => {
      const s = this.of(study);
      if (opts.limit !== undefined && s.rows.size >= opts.limit) return null;
      const id = this.lastId(s) + 1;
      const history = make.length >= 2 ? this.records(s) : [];
      const t = await make(id, history);
      return t ? this.insert(s, id, t, opts.worker) : null;
    });
  }

  enqueueTrials(study: Study, points: TrialParams[], seeds: number[]): Promise<number> {
    return this.db.exclusive(() => {
      const s = this.of(study);
      if (s.enqueued) return 0;
      let id = this.lastId(s);
      for (const params of points) this.insert(s, ++id, { params, state: 'waiting', seeds, budget: 0, intermediate: [], values: {}, seconds: 0 }, undefined);
      s.enqueued = true;
      return points.length;
    });
  }

  updateTrial(study: Study, trial: TrialRecord, worker?: string): Promise<void> {
    return this.db.exclusive(() => {
      const s = this.db.studies.get(study.name);
      if (!s || s.key !== study.key) throw new StoreError(studyDeleted(this.url, study.name, trial.id));
      const row = s.rows.get(trial.id);
      if (!row) throw new StoreError(`${this.url}: study "${study.name}" has no trial ${trial.id}`);
      if (worker !== undefined && !(row.worker === worker && row.record.state === 'running')) throw new TrialTakenError(study.name, trial.id, worker);
      const last = row.record.intermediate.at(-1)?.epoch ?? 0;
      const { reason, valuesSd, detail } = trial;
      row.record = {
        id: trial.id, params: row.record.params, state: trial.state, ...(reason !== undefined ? { reason } : {}), seeds: copy(trial.seeds), budget: trial.budget,
        intermediate: [...row.record.intermediate, ...copy(trial.intermediate.filter((v) => v.epoch > last))],
        values: copy(trial.values), ...(valuesSd ? { valuesSd: copy(valuesSd) } : {}), seconds: trial.seconds, ...(detail ? { detail: copy(detail) } : {}),
      };
      row.heartbeatAt = row.updatedAt = Date.now();
    });
  }

  addIntermediate(study: Study, trialId: number, values: IntermediateValue[]): Promise<void> {
    return this.db.exclusive(() => {
      const row = this.of(study).rows.get(trialId);
      if (!row) throw new StoreError(`${this.url}: study "${study.name}" has no trial ${trialId}`);
      const byEpoch = new Map(row.record.intermediate.map((v) => [v.epoch, v]));
      for (const v of values) byEpoch.set(v.epoch, { ...v });
      row.record.intermediate = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
    });
  }

  trials(study: Study): Promise<TrialRecord[]> {
    return this.trialRows(study).then((rows) => rows.map((r) => r.record));
  }

  trialRows(study: Study): Promise<TrialRow[]> {
    return this.db.exclusive(() => this.sorted(this.of(study)).map((r) => copy(r)));
  }

  claimWaiting(study: Study, worker: string, n: number): Promise<TrialRecord[]> {
    return this.db.exclusive(() => {
      const now = Date.now();
      const out: TrialRecord[] = [];
      for (const row of this.sorted(this.of(study))) {
        if (out.length >= n) break;
        if (row.record.state !== 'waiting') continue;
        Object.assign(row, { worker, attempts: row.attempts + 1, heartbeatAt: now, updatedAt: now });
        row.record.state = 'running';
        out.push({ ...copy(row.record), intermediate: [] });
      }
      return out;
    });
  }

  heartbeat(study: Study, worker: string, trialIds: number[]): Promise<void> {
    return this.db.exclusive(() => {
      const s = this.of(study);
      const now = Date.now();
      for (const id of trialIds) {
        const row = s.rows.get(id);
        if (row && row.worker === worker && row.record.state === 'running') row.heartbeatAt = now;
      }
    });
  }

  reapStale(study: Study, timeoutSeconds: number, opts: ReapOptions = {}): Promise<ReapResult> {
    const maxAttempts = opts.maxAttempts ?? 3;
    const dead = new Set(opts.deadWorkers ?? []);
    return this.db.exclusive(() => {
      const now = Date.now();
      const out: ReapResult = { retried: [], failed: [] };
      for (const row of this.sorted(this.of(study))) {
        if (row.record.state !== 'running' || (opts.self !== undefined && row.worker === opts.self)) continue;
        const gone = row.worker !== null && dead.has(row.worker);
        if (!gone && !((row.heartbeatAt ?? row.updatedAt) < now - timeoutSeconds * 1000)) continue;
        const why = gone
          ? `worker ${row.worker} died (its process is gone) on attempt ${row.attempts}`
          : `worker ${row.worker ?? '?'} stopped sending heartbeats (none for ${timeoutSeconds} s) on attempt ${row.attempts}`;
        row.updatedAt = now;
        if (row.attempts >= maxAttempts) {
          row.record = { ...row.record, state: 'failed', reason: `${why}; no attempts left (${maxAttempts})` };
          out.failed.push(row.record.id);
        } else {
          const { valuesSd: _sd, ...rest } = row.record;
          row.record = { ...rest, state: 'waiting', reason: `retried: ${why}`, budget: 0, values: {}, seconds: 0, intermediate: [] };
          row.worker = null;
          out.retried.push(row.record.id);
        }
      }
      return out;
    });
  }

  async close(): Promise<void> {}

  private insertStudy(spec: StudySpec): Study {
    const now = Date.now();
    const s: StoredStudy = { key: this.db.nextKey++, spec: canonical(spec), createdAt: now, updatedAt: now, enqueued: false, rows: new Map() };
    this.db.studies.set(spec.name, s);
    return this.studyOf(spec.name, s);
  }

  private studyOf(name: string, s: StoredStudy): Study {
    return { key: s.key, name, spec: copy(s.spec), createdAt: s.createdAt };
  }

  private find(name: string): StoredStudy {
    const s = this.db.studies.get(name);
    if (!s) throw new StudyNotFoundError(name, this.url, [...this.db.studies.keys()].sort());
    return s;
  }

  /** The stored study behind a Study handle (not a study of the same name made after this one was deleted). */
  private of(study: Study): StoredStudy {
    const s = this.db.studies.get(study.name);
    if (!s || s.key !== study.key) throw new StudyNotFoundError(study.name, this.url, [...this.db.studies.keys()].sort());
    return s;
  }

  private lastId(s: StoredStudy): number {
    return Math.max(-1, ...s.rows.keys());
  }

  private sorted(s: StoredStudy): TrialRow[] {
    return [...s.rows.values()].sort((a, b) => a.record.id - b.record.id);
  }

  private records(s: StoredStudy): TrialRecord[] {
    return this.sorted(s).map((r) => copy(r.record));
  }

  private insert(s: StoredStudy, id: number, t: NewTrial, worker: string | undefined): TrialRecord {
    const now = Date.now();
    const running = t.state === 'running';
    const record: TrialRecord = { ...copy(t), id };
    s.rows.set(id, { record, attempts: running ? 1 : 0, worker: running ? (worker ?? null) : null, heartbeatAt: running ? now : null, createdAt: now, updatedAt: now });
    s.updatedAt = now;
    return copy(record);
  }
}
