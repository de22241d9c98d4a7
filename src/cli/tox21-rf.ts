/**
 * `shadergrad tox21 rf`: the book's scikit-learn baseline — a class-balanced random forest on ECFP4 bits — fitted
 * and scored from scratch, on one task or all twelve, of Tox21 or any molecule CSV laid out like it, on the index,
 * random or scaffold split. Prints a table and what the data load used and set aside, or with --json exactly one
 * JSON object (the same under `data`). Worker threads start before the data loads, so their start-up overlaps it.
 * Data problems exit 1, usage errors 2.
 */
import { availableParallelism } from 'node:os';
import { intOption, parseOptions, countOption } from './args.ts';
import { CliError } from './cli-error.ts';
import { RandomForest } from '../forest/forest.ts';
import { featuresPerNode, type ForestOptions } from '../forest/options.ts';
import { TreePool } from '../forest/tree-pool.ts';
import { BOOK_FOREST, meanScores, runTaskBaseline, type ForestFitter, type TaskBaseline } from '../forest/tox21-baseline.ts';
import { rfJson } from '../report/results-json.ts';
import { checkTask, DATA_FLAGS, DATA_USAGE, dataJson, dataOptionsFrom, dataText, loadData, metricsTable, seedOption } from './tox21-shared.ts';
import { checkTaskHasPositives } from '../tox21/class-balance.ts';

export const usage =
  `tox21 rf ${DATA_USAGE} [--task NR-AR|all] [--trees 50] [--max-features sqrt|log2|N|FRACTION] [--max-depth N] [--seed N] [--labeled-only] [--threads N] [--json]`;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, {
    ...DATA_FLAGS,
    task: { type: 'string' },
    trees: { type: 'string' },
    'max-features': { type: 'string' },
    'max-depth': { type: 'string' },
    seed: { type: 'string' },
    'labeled-only': { type: 'boolean' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dataOpts = dataOptionsFrom(o);
  const seed = seedOption(o.seed);
  const forest: ForestOptions = {
    ...BOOK_FOREST,
    nEstimators: intOption('trees', o.trees, 50, 1),
    maxFeatures: maxFeaturesOption(o['max-features']),
    maxDepth: o['max-depth'] === undefined ? undefined : intOption('max-depth', o['max-depth'], 0, 1),
    seed,
  };
  const labeledOnly = o['labeled-only'] ?? false;
  const threads = countOption('threads', o.threads, Math.min(availableParallelism(), 8));
  const taskArg = o.task ?? 'NR-AR';

  const pool = threads > 1 ? new TreePool(threads) : null;
  try {
    const loaded = await loadData('tox21 rf', dataOpts);
    const { dataset, split } = loaded;
    checkTask(taskArg, loaded.report, true);
    if (taskArg !== 'all') checkTaskHasPositives(loaded, taskArg);
    checkMaxFeatures(forest, dataset.features.nBits);

    const fit: ForestFitter = pool ? (x, y, opts) => pool.fit(x, y, opts) : (x, y, opts) => RandomForest.fit(x, y, opts);
    const tasks = taskArg === 'all' ? dataset.tasks : [taskArg];
    const results: TaskBaseline[] = [];
    for (const task of tasks) results.push(await runTaskBaseline(dataset, split, task, { forest, labeledOnly }, fit));

    const json = rfJson({
      task: taskArg, split: { train: split.train.length, valid: split.valid.length, test: split.test.length }, results,
      forest, labeledOnly, seed, threads, data: dataJson(loaded.report),
    });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(json)}\n`);
    } else {
      process.stdout.write(metricsTable([...results.map((r) => ({ name: r.task, metrics: r.metrics })), ...(taskArg === 'all' ? [{ name: 'mean', metrics: meanScores(results) }] : [])], 'task'));
      process.stdout.write(
        `${forest.nEstimators} trees, max features ${forest.maxFeatures}, max depth ${forest.maxDepth ?? 'none'}, seed ${seed}, ` +
          `${threads} thread${threads > 1 ? 's' : ''}; trained on ${labeledOnly ? 'labelled training rows' : 'all training rows, missing labels as 0'}\n` +
          `fit ${json.seconds.fit.toFixed(2)} s, predict ${json.seconds.predict.toFixed(2)} s\n`,
      );
      process.stdout.write(dataText(loaded.report));
    }
    return 0;
  } finally {
    await pool?.close();
  }
}

/** 'sqrt' | 'log2' | an integer count | a fraction in (0, 1), as the forest takes it. */
function maxFeaturesOption(value: string | undefined): 'sqrt' | 'log2' | number {
  if (value === undefined) return 'sqrt';
  if (value === 'sqrt' || value === 'log2') return value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`--max-features must be sqrt, log2, an integer or a fraction in (0, 1), got "${value}"`);
  return n;
}

/** The one option whose range depends on the data: checked once the feature count is known, as a usage error. */
function checkMaxFeatures(forest: ForestOptions, nFeatures: number): void {
  try {
    featuresPerNode(forest.maxFeatures ?? 'sqrt', nFeatures);
  } catch (e) {
    throw new CliError(`--max-features: ${(e as Error).message}`);
  }
}
