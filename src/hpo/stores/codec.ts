/**
 * How trial fields become columns and back, shared by the SQLite and PostgreSQL stores so both keep a record
 * exactly: maps are JSON with NaN and ±Infinity kept (JSON alone would turn a failed trial's NaN into null), and a
 * row is turned back into the TrialRecord it came from.
 */
import type { TrialParams } from '../space.ts';
import type { StudySpec } from '../store-spec.ts';
import { bestTrial, objectiveValue, TRIAL_STATES, type IntermediateValue, type TrialRecord, type TrialState } from '../trial.ts';
import type { NewTrial, StudySummary, TrialRow } from '../store.ts';

const NONFINITE = '__nonfinite__:';

export function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? `${NONFINITE}${x}` : x));
}

export function decode<T>(s: string | null | undefined): T | undefined {
  if (s === null || s === undefined) return undefined;
  return JSON.parse(s, (_k, x) => (typeof x === 'string' && x.startsWith(NONFINITE) ? Number(x.slice(NONFINITE.length)) : x)) as T;
}

/** One row of the trials table, as both stores select it. */
export interface TrialColumns {
  id: number;
  params: string;
  state: string;
  reason: string | null;
  seeds: string;
  budget: number;
  vals: string;
  values_sd: string | null;
  seconds: number;
  detail: string | null;
  attempts: number;
  worker: string | null;
  heartbeat_at: number | null;
  created_at: number;
  updated_at: number;
}

/** The columns a state change writes, in this order. */
export function updateColumns(t: TrialRecord | NewTrial) {
  return {
    state: t.state,
    reason: t.reason ?? null,
    seeds: encode(t.seeds),
    budget: t.budget,
    vals: encode(t.values),
    values_sd: t.valuesSd ? encode(t.valuesSd) : null,
    seconds: t.seconds,
    detail: t.detail ? encode(t.detail) : null,
  };
}

export function rowToTrial(r: TrialColumns, intermediate: IntermediateValue[]): TrialRow {
  const state = r.state as TrialState;
  if (!TRIAL_STATES.includes(state)) throw new Error(`trial ${r.id}: unknown state "${r.state}" in the store`);
  const record: TrialRecord = {
    id: Number(r.id),
    params: decode<TrialParams>(r.params)!,
    state,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    seeds: decode<number[]>(r.seeds)!,
    budget: Number(r.budget),
    intermediate,
    values: decode<Record<string, number>>(r.vals)!,
    ...(r.values_sd !== null ? { valuesSd: decode<Record<string, number>>(r.values_sd) } : {}),
    seconds: Number(r.seconds),
    ...(r.detail !== null ? { detail: decode<Record<string, unknown>>(r.detail) } : {}),
  };
  return {
    record,
    attempts: Number(r.attempts),
    worker: r.worker,
    heartbeatAt: r.heartbeat_at === null ? null : Number(r.heartbeat_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Groups (trial, epoch, value) rows by trial, epochs ascending. */
export function groupIntermediate(rows: { trial_id: number; epoch: number; value: number | null }[]): Map<number, IntermediateValue[]> {
  const m = new Map<number, IntermediateValue[]>();
  for (const r of rows) {
    const id = Number(r.trial_id);
    let list = m.get(id);
    if (!list) m.set(id, (list = []));
    list.push({ epoch: Number(r.epoch), value: r.value === null ? Number.NaN : Number(r.value) });
  }
  for (const list of m.values()) list.sort((a, b) => a.epoch - b.epoch);
  return m;
}

/** The study's summary from its trial rows (intermediate values not needed). */
export function summarize(name: string, spec: StudySpec, createdAt: number, studyUpdatedAt: number, rows: { state: string; vals: string; updated_at: number }[]): StudySummary {
  const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, 0])) as Record<TrialState, number>;
  let updatedAt = studyUpdatedAt;
  const finished: TrialRecord[] = [];
  for (const r of rows) {
    counts[r.state as TrialState] = (counts[r.state as TrialState] ?? 0) + 1;
    updatedAt = Math.max(updatedAt, Number(r.updated_at));
    if (r.state === 'complete') finished.push({ id: finished.length, params: {}, state: 'complete', seeds: [], budget: 0, intermediate: [], values: decode<Record<string, number>>(r.vals) ?? {}, seconds: 0 });
  }
  const best = bestTrial(finished, spec.objective);
  return { name, createdAt, updatedAt, counts, best: best && objectiveValue(best, spec.objective), spec };
}

/** The stored trial's intermediate values after `lastEpoch`. */
export function newIntermediate(t: TrialRecord, lastEpoch: number): IntermediateValue[] {
  return t.intermediate.filter((v) => v.epoch > lastEpoch);
}
