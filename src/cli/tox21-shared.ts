/**
 * What the Tox21 commands share, so they cannot drift apart: one parser for the data options (`--data`, `--split`,
 * `--split-seed`) and for seeds (bounded the same everywhere), loading the data with CLI-grade errors, the report of
 * what the data load used and set aside, the `--task` check (which says when a column was ignored, and why),
 * hyperparameter flags, and the metrics table.
 */
import { createBackend } from '../backend/create.ts';
import type { Backend } from '../backend/backend.ts';
import { DataFileError } from '../data/data-error.ts';
import { dataReportJson, dataReportLines, type DataReportJson } from '../data/data-report.ts';
import { DataUnavailableError } from '../data/data-source.ts';
import { loadTox21, type LoadOptions, type LoadReport, type SplitKind } from '../data/tox21.ts';
import { SPLITS, type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { BOOK_DEFAULTS, type FcnHyperparams, type TrainingMode } from '../tox21/hyperparams.ts';
import { boolOption, choiceOption, intOption, numberOption } from './args.ts';
import { CliError, CommandFailed } from './cli-error.ts';

/** The data flags every Tox21 command takes; spread into its parseOptions spec. */
export const DATA_FLAGS = {
  data: { type: 'string' },
  split: { type: 'string' },
  'split-seed': { type: 'string' },
} as const;

export const DATA_USAGE = '[--data PATH] [--split index|random|scaffold] [--split-seed N]';

export const SPLIT_KINDS = ['index', 'random', 'scaffold'] as const satisfies readonly SplitKind[];

export interface DataOptions {
  data?: string;
  split: SplitKind;
  /** Seed of the random split (0 unless given). */
  splitSeed: number;
}

/** `--data`, `--split`, `--split-seed` (only with `--split random`), checked with the flag named. */
export function dataOptionsFrom(o: { data?: string; split?: string; 'split-seed'?: string }): DataOptions {
  const split = choiceOption('split', o.split, SPLIT_KINDS, 'index');
  const splitSeed = seedOption(o['split-seed'], 'split-seed');
  if (o['split-seed'] !== undefined && split !== 'random') throw new CliError(`--split-seed applies only to --split random (the ${split} split has no seed)`);
  return { data: o.data, split, splitSeed };
}

/** Loads the data as `opts` say; a data problem is printed as `shadergrad COMMAND: file, line …: problem`, exit 1. */
export async function loadData(command: string, opts: DataOptions, extra: Omit<LoadOptions, 'data' | 'split' | 'seed'> = {}) {
  try {
    return await loadTox21({ ...extra, data: opts.data, split: opts.split, seed: opts.splitSeed });
  } catch (e) {
    if (e instanceof DataFileError || e instanceof DataUnavailableError) {
      process.stderr.write(`shadergrad ${command}: ${e.message}\n`);
      throw new CommandFailed(e.message);
    }
    throw e;
  }
}

export async function backendFor(command: string, kind: string | undefined): Promise<Backend> {
  const backend = choiceOption('backend', kind, ['auto', 'webgpu', 'cpu'] as const, 'auto');
  return createBackend({ backend, onFallback: (why) => process.stderr.write(`shadergrad ${command}: no WebGPU adapter (${why}); training on the CPU backend\n`) });
}

export const HYPERPARAM_FLAGS = {
  hidden: { type: 'string' },
  layers: { type: 'string' },
  lr: { type: 'string' },
  'keep-prob': { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  'weight-positives': { type: 'string' },
  mode: { type: 'string' },
} as const;

export function hyperparamsFrom(o: Record<string, string | boolean | undefined>): { h: FcnHyperparams; mode: TrainingMode } {
  const s = (k: string) => o[k] as string | undefined;
  const h: FcnHyperparams = {
    nHidden: intOption('hidden', s('hidden'), BOOK_DEFAULTS.nHidden, 1),
    nLayers: intOption('layers', s('layers'), BOOK_DEFAULTS.nLayers, 0),
    learningRate: numberOption('lr', s('lr'), BOOK_DEFAULTS.learningRate),
    keepProb: numberOption('keep-prob', s('keep-prob'), BOOK_DEFAULTS.keepProb),
    nEpochs: intOption('epochs', s('epochs'), BOOK_DEFAULTS.nEpochs, 1),
    batchSize: intOption('batch', s('batch'), BOOK_DEFAULTS.batchSize, 1),
    weightPositives: boolOption('weight-positives', s('weight-positives'), BOOK_DEFAULTS.weightPositives),
  };
  if (!(h.learningRate > 0)) throw new CliError(`--lr must be > 0, got "${s('lr')}"`);
  if (!(h.keepProb > 0 && h.keepProb <= 1)) throw new CliError(`--keep-prob must be in (0, 1], got "${s('keep-prob')}"`);
  return { h, mode: choiceOption('mode', s('mode'), ['book', 'modern'] as const, 'book') };
}

/** A seed flag: an integer in [0, 2^32), the range every seeded generator here takes without wrapping. */
export function seedOption(v: string | undefined, name = 'seed'): number {
  if (v === undefined) return 0;
  const seed = Number(v);
  if (v.trim() === '' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new CliError(`--${name} must be an integer in [0, 2^32), got "${v}"`);
  return seed;
}

/** The `data` object of a command's JSON: what was used and what was set aside (one shape for every command). */
export function dataJson(report: LoadReport): DataReportJson {
  return dataReportJson(report);
}

/**
 * The data report as text for a training command: the source, then the rows, the first few failures, the ignored
 * columns, the tasks and the split (`tox21 data` prints every failure).
 */
export function dataText(report: LoadReport): string {
  const lines = [`data         ${report.source}`, ...dataReportLines(report, { maxFailures: 5, maxUnsanitized: 12 })];
  return `${lines.join('\n')}\n`;
}

/**
 * `--task NAME` (or `all` where `allowAll`) against the loaded tasks; a column that exists but was ignored is named
 * with the reason, since "not one of …" would send the user looking for a typo.
 */
export function checkTask(task: string, report: LoadReport, allowAll: boolean): void {
  const tasks = Object.keys(report.tasks);
  if ((allowAll && task === 'all') || tasks.includes(task)) return;
  const ignored = report.ignoredColumns.find((c) => c.name === task);
  if (ignored) throw new CliError(`--task ${task}: the column "${task}" of ${report.source} was ignored as a task: ${ignored.reason}`);
  throw new CliError(`--task must be ${allowAll ? 'all or ' : ''}one of ${tasks.join(', ')}; got "${task}"`);
}

export function metricsTable(rows: { name: string; metrics: Record<SplitName, SplitScores> }[], label = ''): string {
  const f = (v: number) => (Number.isNaN(v) ? '  —  ' : v.toFixed(3));
  const head = `${label.padEnd(26)}${SPLITS.map((s) => `${`${s} w-acc`.padEnd(13)}${`${s} AUC`.padEnd(11)}`).join('')}\n`;
  return head + rows.map((r) => `${r.name.padEnd(26)}${SPLITS.map((s) => `${f(r.metrics[s].weightedAccuracy).padEnd(13)}${f(r.metrics[s].rocAuc).padEnd(11)}`).join('')}\n`).join('');
}
