/**
 * The study store for many machines: PostgreSQL through the `pg` package. Workers on any number of machines share
 * one study: ids and the trial limit are decided under the study row's lock (SELECT … FOR UPDATE), waiting trials
 * are claimed with FOR UPDATE SKIP LOCKED, so two workers never take the same one and never wait for each other,
 * and heartbeats use the server's clock, so machines whose clocks disagree still agree on who is stale.
 *
 * Tables are prefixed `shadergrad_` so the store can live in a database other programs use; they are created
 * under an advisory lock, so workers starting together do not race on CREATE TABLE.
 */
import type { Pool, PoolClient } from 'pg';
import type { TrialParams } from '../space.ts';
import { canonical, checkStudyName, checkStudySpec, mismatchMessage, specDifference, type Study, type StudySpec } from '../store-spec.ts';
import {
  StoreError, StudyExistsError, StudyMismatchError, StudyNotFoundError, TrialTakenError,
  type CreateOptions, type NewTrial, type OpenOptions, type ReapOptions, type ReapResult, type StudyStore, type StudySummary, type TrialRow,
} from '../store.ts';
import type { StorageLocation } from '../store-url.ts';
import { studyDeleted } from '../store-error.ts';
import type { IntermediateValue, TrialRecord } from '../trial.ts';
import { decode, encode, groupIntermediate, rowToTrial, summarize, updateColumns, type TrialColumns } from './codec.ts';

const SCHEMA_VERSION = '1';
/** The server's clock in ms since 1970. */
const NOW = `(extract(epoch from clock_timestamp()) * 1000)`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shadergrad_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS shadergrad_studies (
  key serial PRIMARY KEY, name text NOT NULL UNIQUE, spec text NOT NULL, enqueued boolean NOT NULL DEFAULT false,
  created_at double precision NOT NULL, updated_at double precision NOT NULL);
CREATE TABLE IF NOT EXISTS shadergrad_trials (
  study integer NOT NULL REFERENCES shadergrad_studies(key) ON DELETE CASCADE, id integer NOT NULL,
  params text NOT NULL, state text NOT NULL, reason text, seeds text NOT NULL, budget integer NOT NULL,
  vals text NOT NULL, values_sd text, seconds double precision NOT NULL, detail text,
  attempts integer NOT NULL, worker text, heartbeat_at double precision,
  created_at double precision NOT NULL, updated_at double precision NOT NULL,
  PRIMARY KEY (study, id));
CREATE INDEX IF NOT EXISTS shadergrad_trials_by_state ON shadergrad_trials (study, state);
CREATE TABLE IF NOT EXISTS shadergrad_intermediate (
  study integer NOT NULL, trial integer NOT NULL, epoch integer NOT NULL, value double precision,
  PRIMARY KEY (study, trial, epoch),
  FOREIGN KEY (study, trial) REFERENCES shadergrad_trials (study, id) ON DELETE CASCADE);
INSERT INTO shadergrad_meta VALUES ('schema', '${SCHEMA_VERSION}') ON CONFLICT DO NOTHING;
`;

const TRIAL_COLUMNS = 'id, params, state, reason, seeds, budget, vals, values_sd, seconds, detail, attempts, worker, heartbeat_at, created_at, updated_at';

type StudyRow = { key: number; name: string; spec: string; created_at: number };

export class PostgresStore implements StudyStore {
  readonly url: string;

  private constructor(readonly location: Extract<StorageLocation, { kind: 'postgres' }>, private readonly pool: Pool) {
    this.url = location.display;
  }

  static async open(location: Extract<StorageLocation, { kind: 'postgres' }>, opts: OpenOptions = {}): Promise<PostgresStore> {
    let pg: typeof import('pg');
    try {
      pg = (await import('pg')).default as unknown as typeof import('pg');
    } catch (e) {
      throw new StoreError(`${location.display}: the pg package cannot be loaded (${(e as Error).message.split('\n')[0]})`);
    }
    const pool = new pg.Pool({
      connectionString: location.connectionString,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      max: 4,
      idleTimeoutMillis: 10_000,
    });
    // A server that goes away must fail the next query, not crash the process through an idle client's error event.
    pool.on('error', () => undefined);
    const store = new PostgresStore(location, pool);
    try {
      await store.tx(async (c) => {
        await c.query(`SELECT pg_advisory_xact_lock(hashtext('shadergrad study store schema'))`);
        const { rows } = await c.query(`SELECT to_regclass('shadergrad_studies') IS NOT NULL AS present`);
        if (!rows[0].present) {
          if (opts.create === false) return;
          await c.query(SCHEMA);
        }
        const v = (await c.query(`SELECT value FROM shadergrad_meta WHERE key = 'schema'`)).rows[0]?.value;
        if (v !== SCHEMA_VERSION) throw new StoreError(`${location.display}: study store schema ${v ?? 'unknown'}, this shadergrad reads ${SCHEMA_VERSION}`);
      });
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return store;
  }

  /** Turns a driver error into one line naming the server. */
  private explain(e: unknown): unknown {
    if (e instanceof StoreError || e instanceof RangeError) return e;
    const err = e as Error & { code?: string; errors?: (Error & { code?: string })[] };
    const code = err.code ?? err.errors?.[0]?.code;
    const network = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'];
    if ((code && network.includes(code)) || /timeout|terminated|Connection terminated/i.test(err.message ?? '')) {
      return new StoreError(`cannot reach PostgreSQL at ${this.location.address} (${code ?? (err.message || 'no answer').split('\n')[0]})`);
    }
    return new StoreError(`${this.url}: ${(err.message ?? String(e)).split('\n')[0]}${code ? ` (${code})` : ''}`);
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.explain(e);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw this.explain(e);
    } finally {
      client.release(broken);
    }
  }

  private async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (e) {
      throw this.explain(e);
    }
  }

  private async present(): Promise<boolean> {
    return (await this.query<{ p: boolean }>(`SELECT to_regclass('shadergrad_studies') IS NOT NULL AS p`))[0].p;
  }

  private async names(c?: PoolClient): Promise<string[]> {
    if (!c && !(await this.present())) return [];
    const sql = `SELECT name FROM shadergrad_studies ORDER BY name`;
    const rows = c ? (await c.query(sql)).rows : await this.query<{ name: string }>(sql);
    return rows.map((r) => r.name as string);
  }

  private studyOf(r: StudyRow): Study {
    return { key: Number(r.key), name: r.name, spec: decode<StudySpec>(r.spec)!, createdAt: Number(r.created_at) };
  }

  private async insertStudy(c: PoolClient, spec: StudySpec): Promise<Study> {
    const { rows } = await c.query(
      `INSERT INTO shadergrad_studies (name, spec, created_at, updated_at) VALUES ($1, $2, ${NOW}, ${NOW}) RETURNING key, name, spec, created_at`,
      [spec.name, encode(canonical(spec))],
    );
    return this.studyOf(rows[0]);
  }

  async createStudy(spec: StudySpec): Promise<Study> {
    checkStudySpec(spec);
    return this.tx(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`shadergrad study ${spec.name}`]);
      if ((await c.query(`SELECT 1 FROM shadergrad_studies WHERE name = $1`, [spec.name])).rowCount) {
        throw new StudyExistsError(`study "${spec.name}" already exists in ${this.url}`);
      }
      return this.insertStudy(c, spec);
    });
  }

  async loadStudy(name: string): Promise<Study> {
    if (!(await this.present())) throw new StudyNotFoundError(name, this.url, []);
    const rows = await this.query<StudyRow>(`SELECT key, name, spec, created_at FROM shadergrad_studies WHERE name = $1`, [name]);
    if (!rows.length) throw new StudyNotFoundError(name, this.url, await this.names());
    return this.studyOf(rows[0]);
  }

  async getOrCreateStudy(spec: StudySpec): Promise<{ study: Study; created: boolean }> {
    checkStudySpec(spec);
    return this.tx(async (c) => {
      // Two workers starting the same new study: the lock makes one create it and the other load it.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`shadergrad study ${spec.name}`]);
      const { rows } = await c.query(`SELECT key, name, spec, created_at FROM shadergrad_studies WHERE name = $1`, [spec.name]);
      if (!rows.length) return { study: await this.insertStudy(c, spec), created: true };
      const study = this.studyOf(rows[0]);
      const d = specDifference(study.spec, spec);
      if (d) throw new StudyMismatchError(mismatchMessage(spec.name, this.url, d));
      if (spec.nTrials !== undefined && spec.nTrials !== study.spec.nTrials) {
        study.spec = { ...study.spec, nTrials: spec.nTrials };
        await c.query(`UPDATE shadergrad_studies SET spec = $1, updated_at = ${NOW} WHERE key = $2`, [encode(study.spec), study.key]);
      }
      return { study, created: false };
    });
  }

  async listStudies(): Promise<StudySummary[]> {
    if (!(await this.present())) return [];
    const studies = await this.query<StudyRow & { updated_at: number }>(`SELECT key, name, spec, created_at, updated_at FROM shadergrad_studies ORDER BY name`);
    const trials = await this.query<{ study: number; state: string; vals: string; updated_at: number }>(`SELECT study, state, vals, updated_at FROM shadergrad_trials`);
    return studies.map((s) => summarize(s.name, decode<StudySpec>(s.spec)!, Number(s.created_at), Number(s.updated_at), trials.filter((t) => t.study === s.key)));
  }

  async deleteStudy(name: string): Promise<void> {
    checkStudyName(name);
    if (!(await this.present())) throw new StudyNotFoundError(name, this.url, []);
    await this.tx(async (c) => {
      const r = await c.query(`DELETE FROM shadergrad_studies WHERE name = $1`, [name]);
      if (!r.rowCount) throw new StudyNotFoundError(name, this.url, await this.names(c));
    });
  }

  private async insertTrial(c: PoolClient, study: Study, id: number, t: NewTrial, worker: string | undefined): Promise<TrialRecord> {
    const u = updateColumns(t);
    const running = t.state === 'running';
    await c.query(
      `INSERT INTO shadergrad_trials (study, id, params, state, reason, seeds, budget, vals, values_sd, seconds, detail, attempts, worker, heartbeat_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $14 THEN ${NOW} END, ${NOW}, ${NOW})`,
      [study.key, id, encode(t.params), u.state, u.reason, u.seeds, u.budget, u.vals, u.values_sd, u.seconds, u.detail, running ? 1 : 0, running ? (worker ?? null) : null, running],
    );
    await this.insertIntermediate(c, study, id, t.intermediate);
    return { ...t, id, intermediate: [...t.intermediate] };
  }

  private async insertIntermediate(c: PoolClient, study: Study, id: number, values: IntermediateValue[]): Promise<void> {
    if (!values.length) return;
    await c.query(
      `INSERT INTO shadergrad_intermediate (study, trial, epoch, value) SELECT $1, $2, e, v FROM unnest($3::int[], $4::float8[]) AS x(e, v)
       ON CONFLICT (study, trial, epoch) DO UPDATE SET value = EXCLUDED.value`,
      [study.key, id, values.map((v) => v.epoch), values.map((v) => v.value)],
    );
  }

  createTrial(study: Study, trial: NewTrial, opts: CreateOptions = {}): Promise<TrialRecord | null> {
    return this.createTrialWith(study, opts, () => trial);
  }

  createTrialWith(study: Study, opts: CreateOptions, make: (id: number, trials: TrialRecord[]) => NewTrial | null | Promise<NewTrial | null>): Promise<TrialRecord | null> {
    return this.tx(async (c) => {
      const lock = await c.query(`SELECT key FROM shadergrad_studies WHERE key = $1 FOR UPDATE`, [study.key]);
      if (!lock.rowCount) throw new StudyNotFoundError(study.name, this.url, await this.names(c));
      const { rows } = await c.query(`SELECT count(*)::int AS n, coalesce(max(id), -1) AS last FROM shadergrad_trials WHERE study = $1`, [study.key]);
      if (opts.limit !== undefined && rows[0].n >= opts.limit) return null;
      const id = Number(rows[0].last) + 1;
      let history: TrialRecord[] = [];
      if (make.length >= 2) {
        // With intermediate values: TPE ranks pruned trials by their last one (as in a search without a store).
        const all = (await c.query(`SELECT ${TRIAL_COLUMNS} FROM shadergrad_trials WHERE study = $1 ORDER BY id`, [study.key])).rows as TrialColumns[];
        const inter = groupIntermediate((await c.query(`SELECT trial AS trial_id, epoch, value FROM shadergrad_intermediate WHERE study = $1`, [study.key])).rows);
        history = all.map((r) => rowToTrial(r, inter.get(Number(r.id)) ?? []).record);
      }
      const t = await make(id, history);
      if (!t) return null;
      return this.insertTrial(c, study, id, t, opts.worker);
    });
  }

  enqueueTrials(study: Study, points: TrialParams[], seeds: number[]): Promise<number> {
    return this.tx(async (c) => {
      const { rows } = await c.query(`SELECT enqueued FROM shadergrad_studies WHERE key = $1 FOR UPDATE`, [study.key]);
      if (!rows.length) throw new StudyNotFoundError(study.name, this.url, await this.names(c));
      if (rows[0].enqueued) return 0;
      const last = Number((await c.query(`SELECT coalesce(max(id), -1) AS last FROM shadergrad_trials WHERE study = $1`, [study.key])).rows[0].last);
      if (points.length) {
        const empty = updateColumns({ params: {}, state: 'waiting', seeds, budget: 0, intermediate: [], values: {}, seconds: 0 });
        await c.query(
          `INSERT INTO shadergrad_trials (study, id, params, state, seeds, budget, vals, seconds, attempts, created_at, updated_at)
           SELECT $1, $2 + n, p, 'waiting', $4, 0, $5, 0, 0, ${NOW}, ${NOW} FROM unnest($3::text[]) WITH ORDINALITY AS x(p, n)`,
          [study.key, last, points.map((p) => encode(p)), empty.seeds, empty.vals],
        );
      }
      await c.query(`UPDATE shadergrad_studies SET enqueued = true, updated_at = ${NOW} WHERE key = $1`, [study.key]);
      return points.length;
    });
  }

  /**
   * One statement, so one round trip and one implicit transaction: the row's update, and the intermediate values
   * after the stored ones, inserted only if the update happened (a worker that lost the trial writes nothing).
   */
  async updateTrial(study: Study, trial: TrialRecord, worker?: string): Promise<void> {
    const u = updateColumns(trial);
    const rows = await this.query<{ n: number }>(
      `WITH upd AS (
         UPDATE shadergrad_trials SET state = $3, reason = $4, seeds = $5, budget = $6, vals = $7, values_sd = $8, seconds = $9, detail = $10,
           heartbeat_at = ${NOW}, updated_at = ${NOW}
         WHERE study = $1 AND id = $2 AND ($11::text IS NULL OR (worker = $11 AND state = 'running'))
         RETURNING id),
       ins AS (
         INSERT INTO shadergrad_intermediate (study, trial, epoch, value)
         SELECT $1, $2, e, v FROM unnest($12::int[], $13::float8[]) AS x(e, v)
         WHERE EXISTS (SELECT 1 FROM upd)
           AND e > (SELECT coalesce(max(epoch), 0) FROM shadergrad_intermediate WHERE study = $1 AND trial = $2)
         ON CONFLICT (study, trial, epoch) DO UPDATE SET value = EXCLUDED.value)
       SELECT count(*)::int AS n FROM upd`,
      [study.key, trial.id, u.state, u.reason, u.seeds, u.budget, u.vals, u.values_sd, u.seconds, u.detail, worker ?? null,
        trial.intermediate.map((v) => v.epoch), trial.intermediate.map((v) => v.value)],
    );
    if (rows[0].n === 1) return;
    const exists = (await this.query(`SELECT 1 FROM shadergrad_trials WHERE study = $1 AND id = $2`, [study.key, trial.id])).length > 0;
    if (worker !== undefined && exists) throw new TrialTakenError(study.name, trial.id, worker);
    if (!(await this.query(`SELECT 1 FROM shadergrad_studies WHERE key = $1`, [study.key])).length) throw new StoreError(studyDeleted(this.url, study.name, trial.id));
    throw new StoreError(`${this.url}: study "${study.name}" has no trial ${trial.id}`);
  }

  addIntermediate(study: Study, trialId: number, values: IntermediateValue[]): Promise<void> {
    return this.tx((c) => this.insertIntermediate(c, study, trialId, values));
  }

  async trials(study: Study): Promise<TrialRecord[]> {
    return (await this.trialRows(study)).map((r) => r.record);
  }

  trialRows(study: Study): Promise<TrialRow[]> {
    // One snapshot for both reads, so every trial's intermediate values match its row.
    return this.tx(async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const rows = (await c.query(`SELECT ${TRIAL_COLUMNS} FROM shadergrad_trials WHERE study = $1 ORDER BY id`, [study.key])).rows as TrialColumns[];
      const inter = groupIntermediate((await c.query(`SELECT trial AS trial_id, epoch, value FROM shadergrad_intermediate WHERE study = $1`, [study.key])).rows);
      return rows.map((r) => rowToTrial(r, inter.get(Number(r.id)) ?? []));
    });
  }

  async claimWaiting(study: Study, worker: string, n: number): Promise<TrialRecord[]> {
    const rows = await this.query<TrialColumns & Record<string, unknown>>(
      // The CTE is evaluated once (a subquery under IN may be re-run and take more than $2 rows).
      `WITH picked AS MATERIALIZED (
         SELECT id FROM shadergrad_trials WHERE study = $1 AND state = 'waiting' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE shadergrad_trials t SET state = 'running', worker = $3, attempts = attempts + 1, heartbeat_at = ${NOW}, updated_at = ${NOW}
       FROM picked WHERE t.study = $1 AND t.id = picked.id
       RETURNING ${TRIAL_COLUMNS.split(', ').map((c) => `t.${c}`).join(', ')}`,
      [study.key, n, worker],
    );
    return rows.map((r) => rowToTrial(r, []).record).sort((a, b) => a.id - b.id);
  }

  async heartbeat(study: Study, worker: string, trialIds: number[]): Promise<void> {
    if (!trialIds.length) return;
    await this.query(`UPDATE shadergrad_trials SET heartbeat_at = ${NOW} WHERE study = $1 AND worker = $2 AND state = 'running' AND id = ANY($3::int[])`, [study.key, worker, trialIds]);
  }

  reapStale(study: Study, timeoutSeconds: number, opts: ReapOptions = {}): Promise<ReapResult> {
    const maxAttempts = opts.maxAttempts ?? 3;
    return this.tx(async (c) => {
      const { rows } = await c.query(
        `SELECT id, attempts, worker, worker = ANY($3::text[]) AS gone FROM shadergrad_trials
         WHERE study = $1 AND state = 'running' AND (coalesce(heartbeat_at, updated_at) < ${NOW} - $2::float8 * 1000 OR worker = ANY($3::text[]))
           AND ($4::text IS NULL OR worker IS DISTINCT FROM $4)
         FOR UPDATE SKIP LOCKED`,
        [study.key, timeoutSeconds, opts.deadWorkers ?? [], opts.self ?? null],
      );
      const out: ReapResult = { retried: [], failed: [] };
      for (const s of rows as { id: number; attempts: number; worker: string | null; gone: boolean }[]) {
        const why = s.gone
          ? `worker ${s.worker} died (its process is gone) on attempt ${s.attempts}`
          : `worker ${s.worker ?? '?'} stopped sending heartbeats (none for ${timeoutSeconds} s) on attempt ${s.attempts}`;
        if (s.attempts >= maxAttempts) {
          await c.query(`UPDATE shadergrad_trials SET state = 'failed', reason = $3, updated_at = ${NOW} WHERE study = $1 AND id = $2`, [study.key, s.id, `${why}; no attempts left (${maxAttempts})`]);
          out.failed.push(s.id);
        } else {
          await c.query(
            `UPDATE shadergrad_trials SET state = 'waiting', worker = NULL, budget = 0, vals = '{}', values_sd = NULL, seconds = 0, reason = $3, updated_at = ${NOW}
             WHERE study = $1 AND id = $2`,
            [study.key, s.id, `retried: ${why}`],
          );
          await c.query(`DELETE FROM shadergrad_intermediate WHERE study = $1 AND trial = $2`, [study.key, s.id]);
          out.retried.push(s.id);
        }
      }
      return out;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
