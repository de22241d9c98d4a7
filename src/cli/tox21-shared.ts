/**
 * What the Tox21 commands share, so they cannot drift apart: one parser for the data options (`--data`, `--split`,
 * `--split-seed`) and for seeds (bounded the same everywhere), loading the data with CLI-grade errors, the report of
 * what the data load used and set aside, the `--task` check (which says when a column was ignored, and why),
 * hyperparameter flags, and the metrics table.
 */
import type { Backend } from '../backend/backend.ts';
import { DataFileError } from '../data/data-error.ts';
import { dataReportJson, dataReportLines, type DataReportJson } from '../data/data-report.ts';
import { DataUnavailableError } from '../data/data-source.ts';
import { loadTox21, type LoadOptions, type LoadReport, type SplitKind } from '../data/tox21.ts';
import { SPLITS, type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { backendReport, chooseBackend, type BackendReport } from '../train/choose-backend.ts';
import { measurePopulationCost, MODELS_PER_THREAD, populationThreads } from '../train/population-cost.ts';
import type { NetworkShape } from '../train/step-timer.ts';
import { BOOK_DEFAULTS, type FcnHyperparams, type TrainingMode } from '../tox21/hyperparams.ts';
import { hyperparamFlag } from '../tox21/options-check.ts';
import { choiceOption } from './args.ts';
import { CliError, CommandFailed } from './cli-error.ts';

/** The data flags every Tox21 command takes; spread into its parseOptions spec. */
export const DATA_FLAGS = {
  data: { type: 'string' },
  split: { type: 'string' },
  'split-seed': { type: 'string' },
  'smiles-column': { type: 'string' },
} as const;

export const DATA_USAGE = '[--data PATH] [--smiles-column NAME] [--split index|random|scaffold] [--split-seed N]';

export const SPLIT_KINDS = ['index', 'random', 'scaffold'] as const satisfies readonly SplitKind[];

export interface DataOptions {
  data?: string;
  split: SplitKind;
  /** Seed of the random split (0 unless given). */
  splitSeed: number;
  /** The SMILES column's header name (default: the column named "smiles"). */
  smilesColumn?: string;
}

/** `--data`, `--split`, `--split-seed` (only with `--split random`), checked with the flag named. */
export function dataOptionsFrom(o: { data?: string; split?: string; 'split-seed'?: string; 'smiles-column'?: string }): DataOptions {
  const split = choiceOption('split', o.split, SPLIT_KINDS, 'index');
  const splitSeed = seedOption(o['split-seed'], 'split-seed');
  if (o['split-seed'] !== undefined && split !== 'random') throw new CliError(`--split-seed applies only to --split random (the ${split} split has no seed)`);
  if (o['smiles-column'] !== undefined && o['smiles-column'].trim() === '') throw new CliError('--smiles-column needs a column name');
  return { data: o.data, split, splitSeed, smilesColumn: o['smiles-column'] };
}

/** Loads the data as `opts` say; a data problem is printed as `shadergrad COMMAND: file, line …: problem`, exit 1. */
export async function loadData(command: string, opts: DataOptions, extra: Omit<LoadOptions, 'data' | 'split' | 'seed'> = {}) {
  try {
    const loaded = await loadTox21({ ...extra, data: opts.data, split: opts.split, seed: opts.splitSeed, smilesColumn: opts.smilesColumn });
    if (loaded.report.cacheNote) process.stderr.write(`shadergrad ${command}: ${loaded.report.cacheNote}\n`);
    return loaded;
  } catch (e) {
    if (e instanceof DataFileError || e instanceof DataUnavailableError) {
      process.stderr.write(`shadergrad ${command}: ${e.message}\n`);
      throw new CommandFailed(e.message);
    }
    throw e;
  }
}

/**
 * The backend a training command runs on (`--backend auto|webgpu|cpu`; see src/train/choose-backend.ts): `auto`
 * times one step of `network` on a software adapter and on the CPU and trains on the faster, saying which and why.
 * With `populations`, also whether populations pay on it (src/train/population-cost.ts: the default population).
 */
export async function backendFor(command: string, kind: string | undefined, network: Partial<NetworkShape> = {}, opts: { populations?: boolean; threads?: number } = {}): Promise<Backend> {
  const backend = choiceOption('backend', kind, ['auto', 'webgpu', 'cpu'] as const, 'auto');
  const shape: NetworkShape = { ...DEFAULT_NETWORK, ...network };
  const note = (line: string) => process.stderr.write(`shadergrad ${command}: ${line}\n`);
  let chosen: Awaited<ReturnType<typeof chooseBackend>>;
  try {
    chosen = await chooseBackend({ backend, network: shape, onNote: note });
  } catch (e) {
    // A network no candidate backend can hold (src/nn/memory.ts): one line, before anything is timed or allocated.
    if (e instanceof RangeError) throw new CliError(`--hidden ${shape.hidden} --layers ${shape.layers}: ${e.message}`);
    throw e;
  }
  const { be, choice } = chosen;
  if (choice.chosen === 'measured' || choice.chosen === 'no-adapter') note(choice.reason);
  if (opts.populations) {
    const cost = await measurePopulationCost(be, shape, { onNote: note });
    const { solo, population } = cost.msPerStep;
    // On the float32 CPU backend with several threads, a search's populations pay by being spread over them
    // (src/tox21/sharded-trial-pool.ts), whatever one thread's measurement says.
    const sharded = populationThreads(be, opts.threads);
    const verdict = sharded.threads > 1 ? `${sharded.reason} (${MODELS_PER_THREAD * sharded.threads} models by default)` : cost.pays ? 'populations by default' : 'one run at a time by default';
    note(`${cost.models} models at once ${population.toFixed(1)} ms/step, one at a time ${cost.models} × ${solo.toFixed(1)} ms: ${verdict}; --population N to choose`);
  }
  return be;
}

/** The book's network on ECFP4 bits: the shape timed when a command does not say. */
const DEFAULT_NETWORK: NetworkShape = { inputs: 1024, hidden: BOOK_DEFAULTS.nHidden, layers: BOOK_DEFAULTS.nLayers, outputs: 1, batch: BOOK_DEFAULTS.batchSize };

/** The `backend` object of a command's JSON: which backend, how it was chosen, the measurements and why. */
export function backendJson(be: Backend): BackendReport {
  return backendReport(be);
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
  init: { type: 'string' },
  'weight-decay': { type: 'string' },
  'early-stopping': { type: 'string' },
} as const;

/** Each hyperparameter flag's key (FcnHyperparams), for commands that take only the flags given (a search's base). */
export const FLAG_KEYS: Record<string, keyof FcnHyperparams> = {
  hidden: 'nHidden', layers: 'nLayers', lr: 'learningRate', 'keep-prob': 'keepProb', epochs: 'nEpochs', batch: 'batchSize',
  'weight-positives': 'weightPositives', init: 'init', 'weight-decay': 'weightDecay', 'early-stopping': 'earlyStopping',
};

export function hyperparamsFrom(o: Record<string, string | boolean | undefined>): { h: FcnHyperparams; mode: TrainingMode } {
  const s = (k: string) => o[k] as string | undefined;
  // One rule per hyperparameter (src/tox21/options-check.ts), the same that checks every --space value.
  const h: FcnHyperparams = {
    nHidden: hyperparamFlag('nHidden', s('hidden'), BOOK_DEFAULTS.nHidden),
    nLayers: hyperparamFlag('nLayers', s('layers'), BOOK_DEFAULTS.nLayers),
    learningRate: hyperparamFlag('learningRate', s('lr'), BOOK_DEFAULTS.learningRate),
    keepProb: hyperparamFlag('keepProb', s('keep-prob'), BOOK_DEFAULTS.keepProb),
    nEpochs: hyperparamFlag('nEpochs', s('epochs'), BOOK_DEFAULTS.nEpochs),
    batchSize: hyperparamFlag('batchSize', s('batch'), BOOK_DEFAULTS.batchSize),
    weightPositives: hyperparamFlag('weightPositives', s('weight-positives'), BOOK_DEFAULTS.weightPositives),
  };
  // The levers are set only when given: a configuration without them is the book's or today's modern one.
  if (s('init') !== undefined) h.init = hyperparamFlag('init', s('init'), undefined);
  if (s('weight-decay') !== undefined) h.weightDecay = hyperparamFlag('weightDecay', s('weight-decay'), undefined);
  if (s('early-stopping') !== undefined) h.earlyStopping = hyperparamFlag('earlyStopping', s('early-stopping'), undefined);
  return { h, mode: hyperparamFlag('mode', s('mode'), 'book') };
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
