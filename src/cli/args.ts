/**
 * Option parsing shared by the commands: node's parseArgs in strict mode, so an unknown flag or a missing value is a
 * CliError naming the flag, plus typed readers that name the flag and the bad value.
 */
import { parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

export function parseOptions<S extends Spec>(argv: string[], spec: S) {
  try {
    return parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }).values as unknown as {
      [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean | undefined : string | undefined;
    };
  } catch (e) {
    throw new CliError((e as Error).message);
  }
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
