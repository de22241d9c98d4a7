/**
 * A study as one JSON document, and back: what `shadergrad study export NAME --format json` prints and what a page
 * offers as a download (one builder for both), and what `shadergrad study import FILE` loads into a store — so a
 * study begun in a browser (IndexedDB) can be resumed by CLI workers on SQLite or PostgreSQL. The document is the
 * spec (with the data's identity, so a resume on other data is refused) and every trial record as the store keeps
 * it. Reading one checks everything before anything is written; each problem is one line naming the file and field.
 */
import { checkSpace, type SearchSpace } from './space.ts';
import { checkStudySpec, specDifference, type Study, type StudySpec } from './store-spec.ts';
import { StoreError, type NewTrial, type StudyStore, type TrialRow } from './store.ts';
import { TRIAL_STATES, type IntermediateValue, type TrialRecord, type TrialState } from './trial.ts';

export interface ExportedTrial extends TrialRecord {
  attempts: number;
  worker: string | null;
  /** ISO 8601. */
  updatedAt: string;
}

export interface StudyExport {
  /** The store it came from, as messages show it (no password). */
  storage: string;
  study: StudySpec;
  /** ISO 8601. */
  createdAt: string;
  trials: ExportedTrial[];
}

/** The export document of a study and its rows (JSON turns NaN and ±Infinity into null; import reads null back as NaN). */
export function studyExportJson(study: Study, rows: TrialRow[], url: string): StudyExport {
  return {
    storage: url,
    study: study.spec,
    createdAt: new Date(study.createdAt).toISOString(),
    trials: rows.map((r) => ({ ...r.record, attempts: r.attempts, worker: r.worker, updatedAt: new Date(r.updatedAt).toISOString() })),
  };
}

/** A file that is not a study export, or a study that cannot be imported: one line naming the file and what is wrong. */
export class StudyImportError extends StoreError {
  override name = 'StudyImportError';
}

/** Parses and checks an export document; `file` names it in messages. Nothing is written. */
export function parseStudyExport(text: string, file: string): { spec: StudySpec; trials: TrialRecord[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // V8 quotes the text it could not read, newlines and all: one line it is.
    throw new StudyImportError(`${file} is not JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  const bad = (what: string) => new StudyImportError(`${file} is not a study export (shadergrad study export NAME --format json): ${what}`);
  if (!isObject(doc)) throw bad('expected an object with "study" and "trials"');
  if (!isObject(doc.study)) throw bad('no "study" object (the study\'s spec)');
  if (!Array.isArray(doc.trials)) throw bad('no "trials" list');
  const spec = readSpec(doc.study, bad);
  const trials = doc.trials.map((t, i) => readTrial(t, i, bad));
  const ids = trials.map((t) => t.id).sort((a, b) => a - b);
  ids.forEach((id, i) => {
    if (id !== i) throw bad(`trial ids must be 0, 1, 2, … without gaps or repeats (as a store numbers them), found ${i === 0 ? `first id ${id}` : `${ids[i - 1]} then ${id}`}`);
  });
  return { spec, trials: trials.sort((a, b) => a.id - b.id) };
}

function readSpec(s: Record<string, unknown>, bad: (what: string) => Error): StudySpec {
  for (const k of ['name', 'space', 'sampler', 'pruner', 'objective', 'reps', 'extra']) if (!(k in s)) throw bad(`study.${k} is missing`);
  if (typeof s.name !== 'string') throw bad('study.name must be a string');
  if (!isObject(s.space) || Object.values(s.space).some((p) => !isObject(p) || !['choice', 'uniform', 'loguniform', 'int'].includes(p.kind as string))) {
    throw bad('study.space must map each parameter to {kind: choice|uniform|loguniform|int, …}');
  }
  for (const k of ['sampler', 'pruner'] as const) {
    const v = s[k];
    if (!isObject(v) || typeof v.name !== 'string' || !isObject(v.options)) throw bad(`study.${k} must be {name, options}`);
  }
  if (!isObject(s.objective)) throw bad('study.objective must be {name, direction}');
  if (!isObject(s.extra)) throw bad('study.extra must be an object');
  const spec = s as unknown as StudySpec;
  try {
    checkStudySpec(spec);
    checkSpace(spec.space as SearchSpace);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return spec;
}

function readTrial(t: unknown, i: number, bad: (what: string) => Error): TrialRecord {
  const at = `trials[${i}]`;
  if (!isObject(t)) throw bad(`${at} is not an object`);
  if (!Number.isInteger(t.id) || (t.id as number) < 0) throw bad(`${at}.id must be an integer ≥ 0`);
  if (!TRIAL_STATES.includes(t.state as TrialState)) throw bad(`${at}.state must be one of ${TRIAL_STATES.join(', ')}, got ${JSON.stringify(t.state)}`);
  if (!isObject(t.params)) throw bad(`${at}.params must be an object`);
  if (!Array.isArray(t.seeds) || !t.seeds.every(Number.isInteger)) throw bad(`${at}.seeds must be a list of integers`);
  if (!Number.isInteger(t.budget)) throw bad(`${at}.budget must be an integer`);
  if (typeof t.seconds !== 'number') throw bad(`${at}.seconds must be a number`);
  if (!Array.isArray(t.intermediate) || !t.intermediate.every((v) => isObject(v) && Number.isInteger(v.epoch) && (typeof v.value === 'number' || v.value === null))) {
    throw bad(`${at}.intermediate must be a list of {epoch, value}`);
  }
  const values = numbers(t.values, `${at}.values`, bad)!;
  const valuesSd = t.valuesSd === undefined ? undefined : numbers(t.valuesSd, `${at}.valuesSd`, bad);
  if (t.detail !== undefined && !isObject(t.detail)) throw bad(`${at}.detail must be an object`);
  if (t.reason !== undefined && typeof t.reason !== 'string') throw bad(`${at}.reason must be a string`);
  return {
    id: t.id as number, params: t.params as TrialRecord['params'], state: t.state as TrialState, ...(t.reason !== undefined ? { reason: t.reason as string } : {}),
    seeds: t.seeds as number[], budget: t.budget as number,
    intermediate: (t.intermediate as { epoch: number; value: number | null }[]).map((v): IntermediateValue => ({ epoch: v.epoch, value: v.value ?? Number.NaN })),
    values, ...(valuesSd ? { valuesSd } : {}), seconds: t.seconds as number, ...(t.detail !== undefined ? { detail: t.detail as Record<string, unknown> } : {}),
  };
}

/** A map of numbers, null read back as NaN (JSON's spelling of NaN and ±Infinity). */
function numbers(v: unknown, at: string, bad: (what: string) => Error): Record<string, number> | undefined {
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'number' || x === null)) throw bad(`${at} must map names to numbers`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? Number.NaN : (x as number)]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Writes an export into `store`: the study with its spec (an existing study of that name must have the same spec and
 * no trials), then every trial with its id, state, values, intermediate values and detail. A trial that was running
 * when the study was exported (its worker, a page, is gone) comes in waiting, as the reaper would put it back, so the
 * next worker trains it. On a failure part-way, the study it created is deleted again.
 */
export async function importStudy(store: StudyStore, exp: { spec: StudySpec; trials: TrialRecord[] }, file: string): Promise<{ study: Study; trials: number; requeued: number[] }> {
  const name = exp.spec.name;
  const existing = (await store.listStudies()).find((s) => s.name === name);
  if (existing) {
    const d = specDifference(existing.spec, exp.spec);
    if (d) throw new StudyImportError(`${file}: study "${name}" already exists in ${store.url} with a different ${d}; import it under another name (edit "study.name") or delete that one (shadergrad study delete ${name})`);
    const n = Object.values(existing.counts).reduce((a, b) => a + b, 0);
    if (n > 0) throw new StudyImportError(`${file}: study "${name}" already exists in ${store.url} with ${n} trials; delete it first (shadergrad study delete ${name}) or import under another name`);
  }
  const { study, created } = await store.getOrCreateStudy(exp.spec);
  const requeued: number[] = [];
  try {
    for (const t of exp.trials) {
      const { id, ...rest } = t;
      let rec: NewTrial = rest;
      if (t.state === 'running') {
        const { valuesSd: _sd, ...r } = rest;
        rec = { ...r, state: 'waiting', reason: 'retried: it was running when the study was exported', budget: 0, values: {}, seconds: 0, intermediate: [] };
        requeued.push(id);
      }
      const got = await store.createTrial(study, rec);
      if (!got || got.id !== id) throw new StudyImportError(`${file}: trial ${id} was stored as ${got ? `trial ${got.id}` : 'nothing'} in ${store.url}; nothing imported`);
    }
  } catch (e) {
    if (created) await store.deleteStudy(name).catch(() => undefined);
    throw e;
  }
  return { study, trials: exp.trials.length, requeued };
}
