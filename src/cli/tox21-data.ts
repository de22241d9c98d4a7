/**
 * `shadergrad tox21 data`: loads Tox21 (or a molecule CSV laid out like it), featurizes or reads the cache, splits,
 * weights, and prints what it found — the data report the training commands also print and put in their JSON, with
 * every failed row — as a human summary, or with --json exactly one JSON object on stdout, so a user can check a
 * data file before training on it. Data problems exit 1 with the file, line and column; usage errors exit 2.
 */
import { choiceOption, parseOptions, countOption } from './args.ts';
import { CliError, CommandFailed } from './cli-error.ts';
import { dataReportJson, dataReportLines } from '../data/data-report.ts';
import type { LoadReport } from '../data/tox21.ts';
import { DATA_FLAGS, DATA_USAGE, dataOptionsFrom, loadData, seedOption } from './tox21-shared.ts';

export const usage =
  `tox21 data ${DATA_USAGE} [--seed N (same as --split-seed)] [--tasks A,B] [--weights deepchem2017|train-balanced] [--threads N] [--json]`;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, {
    ...DATA_FLAGS,
    seed: { type: 'string' },
    tasks: { type: 'string' },
    weights: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
  });
  // Here --seed can only mean the split's seed (nothing else is random), so it stays as the short spelling.
  if (o.seed !== undefined && o['split-seed'] !== undefined) throw new CliError('give the random split\'s seed once: --seed or --split-seed');
  if (o.seed !== undefined) {
    seedOption(o.seed);
    if (o.split !== 'random') throw new CliError('--seed applies only to --split random');
  }
  const dataOpts = dataOptionsFrom({ ...o, 'split-seed': o['split-seed'] ?? o.seed });
  const weights = choiceOption('weights', o.weights, ['deepchem2017', 'train-balanced'] as const, 'deepchem2017');
  const threads = o.threads === undefined ? undefined : countOption('threads', o.threads, 1);
  let tasks: string[] | undefined;
  if (o.tasks !== undefined) {
    tasks = o.tasks.split(',').map((t) => t.trim());
    if (tasks.some((t) => t === '')) throw new CliError(`--tasks must be comma-separated column names, got "${o.tasks}"`);
  }

  let report: LoadReport;
  try {
    ({ report } = await loadData('tox21 data', dataOpts, { tasks, weights, threads }));
  } catch (e) {
    if (e instanceof CommandFailed) return 1; // loadData printed the file, line and column
    throw e;
  }
  process.stdout.write(o.json ? `${JSON.stringify(jsonSummary(report))}\n` : humanSummary(report));
  return 0;
}

/** The shared data report (what the training commands put under `data`), plus where the features came from. */
export function jsonSummary(r: LoadReport) {
  return {
    ...dataReportJson(r),
    sourceKind: r.sourceKind,
    seconds: { featurize: r.seconds.featurize, total: r.seconds.total },
    cached: r.cached,
    ...(r.cacheNote ? { cacheNote: r.cacheNote } : {}),
    delimiter: r.delimiter,
    threads: r.threads,
  };
}

function humanSummary(r: LoadReport): string {
  const lines: string[] = [];
  lines.push(`source       ${r.source} (${r.sourceKind}${r.delimiter === '\t' ? ', tab-separated' : ''})`);
  const report = dataReportLines(r);
  const split = report.pop()!;
  report.pop(); // the task list: the table below shows every task
  lines.push(...report);
  lines.push(
    `features     ECFP r=${r.featurizer.radius} ${r.featurizer.nBits} bits, RDKit ${r.featurizer.rdkit}: ` +
      (r.cached ? `cache, ${ms(r.seconds.featurize)}` : `computed on ${r.threads} thread${r.threads === 1 ? '' : 's'} in ${ms(r.seconds.featurize)}`) +
      (r.threadNote ? ` (${r.threadNote})` : '') +
      (r.cacheNote ? ` (${r.cacheNote})` : ''),
  );
  lines.push(split);
  lines.push(`weights      ${r.weights}`);
  const names = Object.keys(r.tasks);
  const width = Math.max(4, ...names.map((n) => n.length));
  lines.push('');
  lines.push(`${'task'.padEnd(width)}  labelled  positive  pos.weight  neg.weight`);
  for (const n of names) {
    const t = r.tasks[n];
    lines.push(
      `${n.padEnd(width)}  ${String(t.labelled).padStart(8)}  ${String(t.positive).padStart(8)}  ${t.positiveWeight.toFixed(3).padStart(10)}  ${t.negativeWeight.toFixed(3).padStart(10)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function ms(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
}
