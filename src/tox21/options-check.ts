/**
 * One rule per hyperparameter of the book's network, and the one function that checks a value against it, for the
 * flags (`--hidden 50`) and for every value of a search space (`--space hidden=50|100`) alike. Before this, a flag
 * was checked as the command line was read but a space value only when its trial started: `hidden=abc` ended in an
 * uncaught RangeError after training had begun, and with `--study` the trial stayed "running" for good. Now a space
 * is checked whole before any data is loaded — each choice, and each range's bounds and kind — with the message a
 * flag gets. The errors are HyperparamError, which the CLI shows as a usage error: one line, no stack trace.
 */
import type { Backend } from '../backend/backend.ts';
import type { SearchSpace } from '../hpo/space.ts';
import { backendLimits, checkNetworkFits, HOST_MAX_ARRAY_ELEMENTS, type MemoryLimits } from '../nn/memory.ts';
import { BOOK_DEFAULTS, NETWORK_INITS, type FcnHyperparams, type TrainingMode } from './hyperparams.ts';

/** A value no rule accepts; the message names the flag or the space term, what it must be and what it got. */
export class HyperparamError extends RangeError {
  override name = 'HyperparamError';
}

/** Every hyperparameter has a rule: a key added to FcnHyperparams without one does not compile. */
export type HyperparamKey = keyof FcnHyperparams | 'mode';

interface Rule {
  /** The flag without its dashes. */
  flag: string;
  /** The name a `--space` term uses (an alias of the key). */
  short: string;
  kind: 'int' | 'number' | 'bool' | 'choice';
  /** What a value must be, completing "hidden must be …". */
  must: string;
  ok(v: number | boolean | string): boolean;
}

const isInt = (min: number) => (v: number | boolean | string) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;

export const HYPERPARAM_RULES: Record<HyperparamKey, Rule> = {
  nHidden: { flag: 'hidden', short: 'hidden', kind: 'int', must: 'an integer ≥ 1', ok: isInt(1) },
  // The book's network has at least one hidden layer: with none, --hidden, --keep-prob and the dropout are moot.
  nLayers: { flag: 'layers', short: 'layers', kind: 'int', must: 'an integer ≥ 1', ok: isInt(1) },
  learningRate: { flag: 'lr', short: 'lr', kind: 'number', must: 'a finite number > 0', ok: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 },
  keepProb: { flag: 'keep-prob', short: 'keep', kind: 'number', must: 'in (0, 1]', ok: (v) => typeof v === 'number' && v > 0 && v <= 1 },
  nEpochs: { flag: 'epochs', short: 'epochs', kind: 'int', must: 'an integer ≥ 1', ok: isInt(1) },
  batchSize: { flag: 'batch', short: 'batch', kind: 'int', must: 'an integer ≥ 1', ok: isInt(1) },
  weightPositives: { flag: 'weight-positives', short: 'weighted', kind: 'bool', must: 'true or false', ok: (v) => typeof v === 'boolean' },
  mode: { flag: 'mode', short: 'mode', kind: 'choice', must: 'book or modern', ok: (v) => v === 'book' || v === 'modern' },
  init: { flag: 'init', short: 'init', kind: 'choice', must: `one of ${NETWORK_INITS.join(', ')}`, ok: (v) => (NETWORK_INITS as readonly unknown[]).includes(v) },
  weightDecay: { flag: 'weight-decay', short: 'wd', kind: 'number', must: 'a finite number ≥ 0', ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 },
  earlyStopping: { flag: 'early-stopping', short: 'early', kind: 'bool', must: 'true or false', ok: (v) => typeof v === 'boolean' },
};

/** Why `value` is not a valid `key`, or null when it is. The one check behind the flags and the spaces. */
export function hyperparamProblem(key: HyperparamKey, value: number | boolean | string): string | null {
  const rule = HYPERPARAM_RULES[key];
  return rule.ok(value) ? null : `must be ${rule.must}`;
}

/**
 * A hyperparameter flag's text as its value: undefined gives `fallback`; anything a rule refuses throws with the
 * message the other flags use (`--hidden must be an integer ≥ 1, got "abc"`).
 */
export function hyperparamFlag<K extends HyperparamKey>(key: K, text: string | undefined, fallback: (FcnHyperparams & { mode: TrainingMode })[K]): (FcnHyperparams & { mode: TrainingMode })[K] {
  if (text === undefined) return fallback;
  const rule = HYPERPARAM_RULES[key];
  const value = parseValue(rule, text);
  const problem = value === undefined ? `must be ${rule.must}` : hyperparamProblem(key, value);
  if (problem) throw new HyperparamError(`--${rule.flag} ${problem}, got "${text}"`);
  return value as (FcnHyperparams & { mode: TrainingMode })[K];
}

function parseValue(rule: Rule, text: string): number | boolean | string | undefined {
  if (rule.kind === 'bool') return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : undefined;
  if (rule.kind === 'choice') return text;
  // Number('') is 0 and Number(' 5 ') is 5: only text that reads as a number is one.
  return text.trim() === '' ? undefined : Number(text);
}

/**
 * Every value a search over `space` could try, against the rules: each choice; each range's bounds, and its kind
 * (an integer hyperparameter needs `int:low:high` or choices, a flag or the mode choices). Keys that are not
 * hyperparameters are named with the ones there are. Throws HyperparamError with `--space TERM: …` (or `source`).
 */
export function checkSearchSpace(space: SearchSpace, source = '--space'): void {
  for (const [key, spec] of Object.entries(space)) {
    const rule = (HYPERPARAM_RULES as Record<string, Rule | undefined>)[key];
    if (!rule) {
      const names = Object.values(HYPERPARAM_RULES).map((r) => r.short).join(', ');
      throw new HyperparamError(`${source}: "${key}" is not a hyperparameter of the network (${names})`);
    }
    const bad = (term: string, value: unknown, why = `must be ${rule.must}`) => new HyperparamError(`${source} ${rule.short}=${term}: ${rule.short} ${why}, got ${String(value)}`);
    if (spec.kind === 'choice') {
      const term = spec.values.join('|');
      for (const v of spec.values) if (!rule.ok(v)) throw bad(term, v);
      continue;
    }
    const term = `${spec.kind === 'loguniform' ? 'log:' : spec.kind === 'int' ? 'int:' : ''}${spec.low}:${spec.high}`;
    if (rule.kind === 'bool' || rule.kind === 'choice') throw bad(term, `a ${spec.kind} range`, `takes choices (${rule.must}), not a range`);
    if (rule.kind === 'int' && spec.kind !== 'int') throw bad(term, `a ${spec.kind} range`, `is an integer: write int:${spec.low}:${spec.high} or choices`);
    for (const v of [spec.low, spec.high]) if (!rule.ok(v)) throw bad(term, v);
  }
}

/**
 * Counts whose size turns into memory (a seed per repetition, a record per trial, a thread per worker): the most
 * that is sensible, so that `--reps 1e9` is a one-line refusal instead of V8 running out of heap.
 */
export const COUNT_LIMITS = {
  reps: { max: 1000, why: 'each repetition is a model trained per trial' },
  trials: { max: 1_000_000, why: 'each trial is a record kept in memory' },
  threads: { max: 256, why: 'each thread is a JavaScript engine of its own' },
  population: { max: 65_536, why: 'each member is a model held in memory' },
} as const;

/**
 * The largest network a search over `space` could build (widest hidden layer, most layers, largest batch, over the
 * base hyperparameters) against the backend's buffers and, where it computes in host memory, the host's RAM — so a
 * width that cannot fit is refused before the first trial instead of failing every trial that draws it. With no
 * backend yet (`be` null, before one is chosen or timed) only what holds for all of them is checked: every weight
 * matrix is first made in one typed array on the host. The host's memory comes from the caller (node:os in the
 * CLI), as this module also runs in browsers. `what` names the source in the message (default: the space).
 */
export function checkSpaceFits(be: Backend | null, space: SearchSpace, base: Partial<FcnHyperparams>, data: { inputs: number; rows: number; hostMemoryBytes?: number }, what?: string): void {
  const most = (key: keyof FcnHyperparams): number => {
    const s = space[key];
    const b = Number(base[key] ?? BOOK_DEFAULTS[key]);
    if (!s) return b;
    return s.kind === 'choice' ? Math.max(...s.values.map(Number)) : s.high;
  };
  // Without a backend (before the data) only the weights are judged: a batch larger than the data is cut to it later.
  const hidden = most('nHidden'), layers = most('nLayers'), batch = be ? Math.min(most('batchSize'), Math.max(1, data.rows)) : 1;
  const hostMemory = be !== null && (be.kind === 'cpu' || be.info.software);
  const host = hostMemory ? data.hostMemoryBytes ?? Infinity : Infinity;
  const limits: MemoryLimits = be
    ? backendLimits(be, host, host < Infinity ? "this machine's memory" : undefined)
    : { maxBufferBytes: HOST_MAX_ARRAY_ELEMENTS * 4, bufferLimitName: 'the largest typed array this JavaScript engine allocates (2^32 − 1 elements)', maxTotalBytes: Infinity };
  try {
    // Without a backend, a float32 one stands in: checkNetworkFits reads only its kind and precision.
    checkNetworkFits(be ?? ({ kind: 'cpu', dtype: 'f32' } as unknown as Backend), { inputs: data.inputs, hidden, layers, outputs: 1, batch }, limits);
  } catch (e) {
    if (e instanceof RangeError) throw new HyperparamError(`${what ?? `--space: the largest network it can draw (hidden ${hidden}, ${layers} layer(s)${be ? `, batch ${batch}` : ''}) cannot be trained`}: ${e.message}`);
    throw e;
  }
}
