/** What the Tox21 network commands share: loading the data with CLI-grade errors, hyperparameter flags, a table. */
import { createBackend } from '../backend/create.ts';
import type { Backend } from '../backend/backend.ts';
import { DataFileError } from '../data/data-error.ts';
import { DataUnavailableError } from '../data/data-source.ts';
import { loadTox21 } from '../data/tox21.ts';
import { SPLITS, type SplitName, type SplitScores } from '../metrics/split-scores.ts';
import { BOOK_DEFAULTS, type FcnHyperparams, type TrainingMode } from '../tox21/hyperparams.ts';
import { boolOption, choiceOption, intOption, numberOption } from './args.ts';
import { CliError, CommandFailed } from './cli-error.ts';

export async function loadData(command: string, data: string | undefined) {
  try {
    return await loadTox21({ data, split: 'index' });
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

export function seedOption(v: string | undefined): number {
  const seed = intOption('seed', v, 0, 0);
  if (seed >= 2 ** 32) throw new CliError(`--seed must be an integer < 2^32, got "${v}"`);
  return seed;
}

export function metricsTable(rows: { name: string; metrics: Record<SplitName, SplitScores> }[], label = ''): string {
  const f = (v: number) => (Number.isNaN(v) ? '  —  ' : v.toFixed(3));
  const head = `${label.padEnd(26)}${SPLITS.map((s) => `${`${s} w-acc`.padEnd(13)}${`${s} AUC`.padEnd(11)}`).join('')}\n`;
  return head + rows.map((r) => `${r.name.padEnd(26)}${SPLITS.map((s) => `${f(r.metrics[s].weightedAccuracy).padEnd(13)}${f(r.metrics[s].rocAuc).padEnd(11)}`).join('')}\n`).join('');
}
