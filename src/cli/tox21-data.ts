/**
 * `shadergrad tox21 data`: loads Tox21 (or a molecule CSV laid out like it), featurizes or reads the cache, splits,
 * weights, and prints what it found — a human summary, or with --json exactly one JSON object on stdout — so a user
 * can check a data file before training on it. Data problems exit 1 with the file, line and column; usage errors
 * exit 2 (CliError).
 */
import { choiceOption, intOption, parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';
import { DataFileError } from '../data/data-error.ts';
import { DataUnavailableError } from '../data/data-source.ts';
import { loadTox21, type LoadReport } from '../data/tox21.ts';

export const usage =
  'tox21 data [--data PATH] [--split index|random|scaffold] [--seed N] [--tasks A,B] [--weights deepchem2017|train-balanced] [--threads N] [--json]';

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, {
    data: { type: 'string' },
    split: { type: 'string' },
    seed: { type: 'string' },
    tasks: { type: 'string' },
    weights: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
  });
  const split = choiceOption('split', o.split, ['index', 'random', 'scaffold'] as const, 'index');
  const seed = intOption('seed', o.seed, 0, 0);
  if (o.seed !== undefined && split !== 'random') throw new CliError('--seed applies only to --split random');
  const weights = choiceOption('weights', o.weights, ['deepchem2017', 'train-balanced'] as const, 'deepchem2017');
  const threads = o.threads === undefined ? undefined : intOption('threads', o.threads, 1, 1);
  let tasks: string[] | undefined;
  if (o.tasks !== undefined) {
    tasks = o.tasks.split(',').map((t) => t.trim());
    if (tasks.some((t) => t === '')) throw new CliError(`--tasks must be comma-separated column names, got "${o.tasks}"`);
  }

  let report: LoadReport;
  try {
    ({ report } = await loadTox21({ data: o.data, split, seed, tasks, weights, threads }));
  } catch (e) {
    if (e instanceof DataFileError || e instanceof DataUnavailableError) {
      process.stderr.write(`shadergrad tox21 data: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  process.stdout.write(o.json ? `${JSON.stringify(jsonSummary(report))}\n` : humanSummary(report));
  return 0;
}

export function jsonSummary(r: LoadReport) {
  return {
    source: r.source,
    rows: r.rows,
    featurized: r.featurized,
    unsanitized: r.unsanitized,
    failed: r.failed,
    failures: r.failures,
    split: { train: r.split.train, valid: r.split.valid, test: r.split.test },
    splitKind: r.split.kind,
    seed: r.split.seed,
    weights: r.weights,
    tasks: Object.fromEntries(
      Object.entries(r.tasks).map(([name, t]) => [name, { labelled: t.labelled, positive: t.positive, positiveWeight: t.positiveWeight, negativeWeight: t.negativeWeight }]),
    ),
    seconds: { featurize: r.seconds.featurize, total: r.seconds.total },
    cached: r.cached,
    threads: r.threads,
  };
}

function humanSummary(r: LoadReport): string {
  const lines: string[] = [];
  lines.push(`source       ${r.source} (${r.sourceKind})`);
  lines.push(`rows         ${r.rows} = ${r.featurized} featurized (${r.unsanitized} without sanitization) + ${r.failed} failed`);
  if (r.unsanitized > 0) lines.push(`unsanitized  data rows ${r.unsanitizedRows.join(', ')}`);
  for (const f of r.failures) lines.push(`failed       data row ${f.row} (line ${f.line}), column "${f.column}": ${f.reason} — "${f.smiles}"`);
  const byReason = new Map<string, string[]>();
  for (const c of r.ignoredColumns) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c.name]);
  for (const [reason, names] of byReason) lines.push(`ignored      ${names.length === 1 ? 'column' : 'columns'} ${names.map((n) => `"${n}"`).join(', ')}: ${reason}`);
  lines.push(
    `features     ECFP r=${r.featurizer.radius} ${r.featurizer.nBits} bits, RDKit ${r.featurizer.rdkit}: ` +
      (r.cached ? `cache, ${ms(r.seconds.featurize)}` : `computed on ${r.threads} thread${r.threads === 1 ? '' : 's'} in ${ms(r.seconds.featurize)}`) +
      (r.threadNote ? ` (${r.threadNote})` : '') +
      (r.cacheNote ? ` (${r.cacheNote})` : ''),
  );
  lines.push(`split        ${r.split.kind}${r.split.seed !== null ? ` seed ${r.split.seed}` : ''}: train ${r.split.train} / valid ${r.split.valid} / test ${r.split.test}`);
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
