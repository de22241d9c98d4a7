/**
 * The study store: where studies and their trials live, so a search can be killed and resumed, and several workers
 * (processes on one or many machines) can share one study. Three implementations behind one async interface:
 * SQLite (embedded, the default, src/hpo/stores/sqlite.ts), PostgreSQL (src/hpo/stores/postgres.ts), and memory
 * (src/hpo/stores/memory.ts: a search that keeps nothing, tests, a page). The drivers are imported lazily (by
 * open-store.ts), so the library loads without them. This module holds only the interface and its errors, so
 * every store imports it and it imports no store.
 *
 * Invariants both keep, each in one transaction:
 *  - trial ids are 0, 1, 2, … per study, assigned by the store, unique however many workers create trials;
 *  - `createTrial` with a limit never lets a study hold more than that many trials (the check and the insert are one
 *    transaction under the study's lock), so N workers together make exactly N trials;
 *  - a `waiting` trial is claimed by one worker only (FOR UPDATE SKIP LOCKED / an IMMEDIATE transaction);
 *  - every state change of a trial, with the intermediate values it brings, is one transaction;
 *  - a trial left `running` by a worker that stopped sending heartbeats goes back to `waiting` (same id and params,
 *    attempts + 1) or, after its last attempt, to `failed`.
 */
import type { TrialParams } from './space.ts';
import type { StudySpec, Study } from './store-spec.ts';
import { StoreError } from './store-error.ts';
import type { StorageLocation } from './store-url.ts';
import type { IntermediateValue, TrialRecord, TrialState } from './trial.ts';

export type { Study, StudySpec } from './store-spec.ts';

/** A trial before the store gave it an id. */
export type NewTrial = Omit<TrialRecord, 'id'>;

/** A trial with what the store knows about its execution. */
export interface TrialRow {
  record: TrialRecord;
  /** Times it was started (claimed or created running). */
  attempts: number;
  /** The worker that last ran it. */
  worker: string | null;
  /** ms since 1970 of the worker's last heartbeat (or the state change). */
  heartbeatAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface StudySummary {
  name: string;
  createdAt: number;
  /** Last change to the study or any of its trials, ms since 1970. */
  updatedAt: number;
  counts: Record<TrialState, number>;
  /** The best objective value among complete trials, or null. */
  best: number | null;
  spec: StudySpec;
}

export interface ReapResult {
  /** Trials reset to waiting, to be run again. */
  retried: number[];
  /** Trials marked failed: they ran out of attempts. */
  failed: number[];
}

export interface ReapOptions {
  maxAttempts?: number;
  /** Workers known to be dead: their running trials are reaped whatever their heartbeats. */
  deadWorkers?: string[];
  /** The calling worker: alive by definition, so its own trials are never reaped, however late its heartbeat. */
  self?: string;
}

export interface CreateOptions {
  /** The worker creating it (recorded for a running trial). */
  worker?: string;
  /** The study may hold at most this many trials; createTrial returns null once it does. */
  limit?: number;
}

/** Where an in-memory store lives (src/hpo/stores/memory.ts): this process, this page. */
export interface MemoryLocation {
  kind: 'memory';
  display: string;
}

/** Where a page's store lives (src/hpo/stores/indexeddb.ts): this origin's IndexedDB database of that name. */
export interface IndexedDbLocation {
  kind: 'indexeddb';
  display: string;
}

export interface StudyStore {
  readonly location: StorageLocation | MemoryLocation | IndexedDbLocation;
  /** The URL as messages show it (no password). */
  readonly url: string;

  createStudy(spec: StudySpec): Promise<Study>;
  /** Throws StudyNotFoundError naming the study, the store and the studies it has. */
  loadStudy(name: string): Promise<Study>;
  /** Loads the study if it exists (refusing a different spec, naming the difference), else creates it. */
  getOrCreateStudy(spec: StudySpec): Promise<{ study: Study; created: boolean }>;
  listStudies(): Promise<StudySummary[]>;
  /** Deletes the study and its trials; throws StudyNotFoundError when there is none. */
  deleteStudy(name: string): Promise<void>;

  /** Adds a trial with the next id; null when `limit` trials exist already. */
  createTrial(study: Study, trial: NewTrial, opts?: CreateOptions): Promise<TrialRecord | null>;
  /**
   * Adds a trial whose configuration is chosen under the study's lock: `make` gets the id the trial will have and
   * every trial stored so far (with its intermediate values: TPE ranks pruned trials by them), so a sampler sees all workers' trials and two workers
   * never pick with the same history. Returns null, without calling `make`, once `limit` trials exist; `make` may
   * also return null (nothing left to sample).
   */
  createTrialWith(study: Study, opts: CreateOptions, make: (id: number, trials: TrialRecord[]) => NewTrial | null | Promise<NewTrial | null>): Promise<TrialRecord | null>;
  /**
   * Adds `points` as waiting trials, once per study: a second call (another worker, a resume) adds nothing.
   * Returns how many it added.
   */
  enqueueTrials(study: Study, points: TrialParams[], seeds: number[]): Promise<number>;
  /**
   * Writes the trial's state, reason, seeds, budget, values, seconds and detail, and the intermediate values the store
   * lacks (epochs after its last). With `worker`, only while the trial is still that worker's: a worker whose trial
   * was reaped and handed to another gets TrialTakenError instead of overwriting it.
   */
  updateTrial(study: Study, trial: TrialRecord, worker?: string): Promise<void>;
  addIntermediate(study: Study, trialId: number, values: IntermediateValue[]): Promise<void>;
  trials(study: Study): Promise<TrialRecord[]>;
  trialRows(study: Study): Promise<TrialRow[]>;
  /** Up to n waiting trials, now running for `worker` (oldest first); no trial goes to two workers. */
  claimWaiting(study: Study, worker: string, n: number): Promise<TrialRecord[]>;
  /** Marks the worker's running trials as alive now. */
  heartbeat(study: Study, worker: string, trialIds: number[]): Promise<void>;
  /**
   * Running trials whose heartbeat is older than `timeoutSeconds`, or whose worker is in `deadWorkers` (known dead:
   * a process of this machine that no longer exists): back to waiting (intermediate values cleared, attempts kept)
   * while attempts < maxAttempts (default 3), else failed with the reason.
   */
  reapStale(study: Study, timeoutSeconds: number, opts?: ReapOptions): Promise<ReapResult>;
  close(): Promise<void>;
}

/** A store that cannot be opened or used: unreachable server, unwritable or corrupt file, bad URL (StorageUrlError, in store-url.ts: this module must load in a page, which has no node:path). */
export { StoreError } from './store-error.ts';

export class StudyNotFoundError extends StoreError {
  override name = 'StudyNotFoundError';
  constructor(readonly study: string, url: string, existing: string[]) {
    super(`no study named "${study}" in ${url}; ${existing.length ? `studies: ${existing.join(', ')}` : 'it holds no studies'}`);
  }
}

/** The trial is no longer the writing worker's: its heartbeat was late, it was reaped and may run elsewhere. */
export class TrialTakenError extends StoreError {
  override name = 'TrialTakenError';
  constructor(study: string, trialId: number, worker: string) {
    super(`study "${study}": trial ${trialId} is no longer run by worker ${worker} (its heartbeat timed out and it was handed back); its result is dropped`);
  }
}

export class StudyExistsError extends StoreError {
  override name = 'StudyExistsError';
}

/** A resume whose spec differs from the stored one. */
export class StudyMismatchError extends StoreError {
  override name = 'StudyMismatchError';
}

export interface OpenOptions {
  /**
   * Create the database (file, tables) when missing. False for commands that only read or delete: they fail
   * naming the file instead of leaving an empty database behind. Default true.
   */
  create?: boolean;
  /** PostgreSQL: how long to wait for a connection. Default 5000 ms. */
  connectTimeoutMs?: number;
}
