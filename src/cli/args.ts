/**
 * Option parsing shared by the commands: node's parseArgs in strict mode, so an unknown flag or a missing value is a
 * CliError naming the flag, plus typed readers that name the flag and the bad value. A value that starts with a
 * dash and reads as a number (`--epochs -1`) is the flag's value, so the reader can say what is wrong with it
 * (parseArgs alone calls it "ambiguous", as if the value were missing).
 */
import { parseArgs } from 'node:util';
import { COUNT_LIMITS } from '../tox21/options-check.ts';
import { CliError } from './cli-error.ts';

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

export function parseOptions<S extends Spec>(argv: string[], spec: S) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, spec), options: spec, strict: true, allowPositionals: false }).values as unknown as {
      [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean | undefined : string | undefined;
    };
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** `--flag -1` → `--flag=-1` for a string flag followed by a negative number (or -Infinity, -NaN). */
function joinNegativeValues(argv: string[], spec: Spec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && spec[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity$|NaN$)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * A count that becomes memory (`--reps`, `--trials`, `--threads`, `--population`): an integer from 1 to its limit,
 * refused with the reason beyond it, before anything is allocated.
 */
export function countOption(name: keyof typeof COUNT_LIMITS, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const { max, why } = COUNT_LIMITS[name];
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new CliError(`--${name} must be an integer ≥ 1, got "${value}"`);
  if (n > max) throw new CliError(`--${name} must be at most ${max.toLocaleString('en-US')} (${why}), got "${value}"`);
  return n;
}

export function intOption(name: string, value: string | undefined, fallback: number, min = -Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer${min > -Infinity ? ` ≥ ${min}` : ''}, got "${value}"`);
  return n;
}

export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a finite number, got "${value}"`);
  return n;
}

export function choiceOption<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new CliError(`--${name} must be one of ${choices.join('|')}, got "${value}"`);
  return value as T;
}

export function boolOption(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new CliError(`--${name} must be true or false, got "${value}"`);
}
