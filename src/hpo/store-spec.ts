/**
 * What a study is, apart from its trials: the space, the sampler and pruner with their settings, the objective, the
 * seeds per trial and anything else that changes what a trial means (the task, the base hyperparameters). A study
 * resumed with a different spec would mix trials of two experiments, so `specDifference` finds the first field that
 * differs and names it ("space.lr.high: stored 0.01, now 0.1"). Only nTrials may change on resume: asking for more
 * trials extends a study, as in Optuna.
 */
import type { SearchSpace } from './space.ts';
import { checkObjective, type Objective } from './trial.ts';

export interface StrategySpec {
  name: string;
  options: Record<string, unknown>;
}

export interface StudySpec {
  name: string;
  space: SearchSpace;
  sampler: StrategySpec;
  pruner: StrategySpec;
  objective: Objective;
  /** Seeds (repetitions) per trial. */
  reps: number;
  /** Trials the study should end with (complete, pruned and failed together); may change on resume. */
  nTrials?: number;
  /** Anything else that defines a trial: task, base hyperparameters, data split. */
  extra: Record<string, unknown>;
}

/** A study as a store holds it. */
export interface Study {
  /** The store's key for the study (row id). */
  key: number;
  name: string;
  spec: StudySpec;
  /** ms since 1970. */
  createdAt: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkStudySpec(spec: StudySpec): void {
  checkStudyName(spec.name);
  checkObjective(spec.objective);
  if (!Number.isInteger(spec.reps) || spec.reps < 1) throw new RangeError(`study "${spec.name}": reps must be a positive integer, got ${spec.reps}`);
  if (spec.nTrials !== undefined && (!Number.isInteger(spec.nTrials) || spec.nTrials < 1)) {
    throw new RangeError(`study "${spec.name}": nTrials must be a positive integer, got ${spec.nTrials}`);
  }
}

export function checkStudyName(name: string): void {
  if (!NAME.test(name)) throw new RangeError(`study name "${name}": use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)`);
}

/** The first difference between a stored spec and a new one, as "path: stored X, now Y", or null when they agree. */
export function specDifference(stored: StudySpec, given: StudySpec): string | null {
  const { nTrials: _a, name: _b, ...s } = stored;
  const { nTrials: _c, name: _d, ...g } = given;
  return diff(canonical(s), canonical(g), '');
}

function diff(a: unknown, b: unknown, path: string): string | null {
  if (isObject(a) && isObject(b)) {
    for (const k of Object.keys(a)) {
      if (!(k in b)) return `${path}${k}: stored ${show(a[k])}, now absent`;
    }
    for (const k of Object.keys(b)) {
      if (!(k in a)) return `${path}${k}: absent from the stored study, now ${show(b[k])}`;
      const d = diff(a[k], b[k], `${path}${k}.`);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], `${path}${i}.`);
      if (d) return d;
    }
    return null;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  return `${path.replace(/\.$/, '')}: stored ${show(a)}, now ${show(b)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** The spec as JSON would keep it (undefined fields dropped), so a stored spec and a fresh one compare equal. */
export function canonical<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function mismatchMessage(name: string, url: string, difference: string): string {
  return `study "${name}" in ${url} was created with a different ${difference}; resume it with the same settings, or pick another --study name (or: shadergrad study delete ${name})`;
}
