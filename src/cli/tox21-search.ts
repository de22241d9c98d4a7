/**
 * `shadergrad tox21 search`: a hyperparameter search over the book's network — one of the chapter's grids or its
 * random learning rates — with repeats per configuration, ranked by mean validation weighted accuracy.
 */
import { PRESETS, type PresetName } from '../hpo/presets.ts';
import { paramText } from '../hpo/space.ts';
import { runSearch } from '../hpo/search.ts';
import { gridSearch, randomSearch } from '../hpo/strategy.ts';
import { tox21Evaluator } from '../tox21/study.ts';
import { choiceOption, intOption, parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';
import { Progress } from './progress.ts';
import { backendFor, HYPERPARAM_FLAGS, hyperparamsFrom, loadData, seedOption } from './tox21-shared.ts';

export const usage =
  'tox21 search [--data PATH] [--preset simple|hidden|random-lr] [--strategy grid|random] [--trials N] [--reps 3] [--task NR-AR] [--seed N] [--epochs N …base hyperparameters] [--json]';

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, {
    data: { type: 'string' }, preset: { type: 'string' }, strategy: { type: 'string' }, trials: { type: 'string' }, reps: { type: 'string' },
    task: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...HYPERPARAM_FLAGS,
  });
  const preset = choiceOption('preset', o.preset, Object.keys(PRESETS) as PresetName[], 'simple');
  const space = PRESETS[preset];
  const gridable = Object.values(space).every((s) => s.kind === 'choice');
  const strategyName = choiceOption('strategy', o.strategy, ['grid', 'random'] as const, gridable ? 'grid' : 'random');
  if (strategyName === 'grid' && !gridable) throw new CliError(`--preset ${preset} has continuous ranges: use --strategy random`);
  const trials = intOption('trials', o.trials, 10, 1);
  const reps = intOption('reps', o.reps, 3, 1);
  const seed0 = seedOption(o.seed);
  // Base hyperparameters: only the flags given override the book's defaults; the preset's keys override those.
  const given = Object.keys(HYPERPARAM_FLAGS).filter((k) => o[k as keyof typeof o] !== undefined);
  const { h } = hyperparamsFrom(o);
  const flagToKey: Record<string, keyof typeof h> = { hidden: 'nHidden', layers: 'nLayers', lr: 'learningRate', 'keep-prob': 'keepProb', epochs: 'nEpochs', batch: 'batchSize', 'weight-positives': 'weightPositives' };
  const base = Object.fromEntries(given.filter((k) => k in flagToKey).map((k) => [flagToKey[k], h[flagToKey[k]]]));
  const be = await backendFor('tox21 search', o.backend);
  const data = await loadData('tox21 search', o.data);
  const task = o.task ?? 'NR-AR';
  if (!data.dataset.tasks.includes(task)) throw new CliError(`--task must be one of ${data.dataset.tasks.join(', ')}; got "${task}"`);
  const strategy = strategyName === 'grid' ? gridSearch(space) : randomSearch(space, trials, seed0 + 1);
  const progress = new Progress(process.stderr, !!o.json && !process.stderr.isTTY);
  progress.stage(`${strategyName} search "${preset}": ${strategy.total} configurations × ${reps} seeds on ${task}`);
  const result = await runSearch({
    strategy, reps, seed0,
    evaluate: tox21Evaluator(be, data, task, base),
    onTrial: (t, done) => progress.step(done, strategy.total, `${paramText(t.params)} → ${t.status === 'ok' ? `${t.valid.mean.toFixed(3)} ± ${t.valid.sd.toFixed(3)}` : 'failed'}`),
  });
  if (o.json) {
    const trialsOut = result.trials.map((t) => ({ params: t.params, valid: { mean: t.valid.mean, sd: t.valid.sd }, test: { mean: t.test.mean, sd: t.test.sd }, status: t.status, runs: t.runs.length }));
    const best = result.best && { params: result.best.params, valid: { mean: result.best.valid.mean, sd: result.best.valid.sd }, test: { mean: result.best.test.mean, sd: result.best.test.sd } };
    process.stdout.write(`${JSON.stringify({ preset, strategy: strategyName, task, reps, base, trials: trialsOut, best, adapter: be.info })}\n`);
  } else {
    process.stdout.write(result.trials.map((t, i) => `${String(i + 1).padStart(3)}  ${t.status === 'ok' ? `${t.valid.mean.toFixed(3)} ± ${t.valid.sd.toFixed(3)}` : 'failed       '}  ${paramText(t.params)}`).join('\n') + '\n');
    if (result.best) process.stdout.write(`best: ${paramText(result.best.params)}: valid ${result.best.valid.mean.toFixed(3)}, test ${result.best.test.mean.toFixed(3)} (test not used to choose)\n`);
  }
  return result.best ? 0 : 1;
}
