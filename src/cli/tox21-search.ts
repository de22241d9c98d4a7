/**
 * `shadergrad tox21 search`: a hyperparameter search over the book's network — a preset (the chapter's grids, its
 * random learning rates, our challenge space) or a `--space` — with a sampler (grid, random, TPE) and a pruner
 * (none, median, ASHA, Hyperband) on epochs. Configurations that share a step's shape train together as a
 * population; `--population 1` trains each run alone. Trials are records (src/hpo/trial.ts): the JSON lists every
 * one and the best by the objective on validation, test scores beside it, never used to choose. With `--study NAME`
 * every change is written to a study store (SQLite by default, `--storage URL`), and the same command resumes it.
 */
import { createPruner, PRUNER_NAMES } from '../hpo/pruners/index.ts';
import { PRESETS, type PresetName } from '../hpo/presets.ts';
import { createSampler, SAMPLER_NAMES } from '../hpo/samplers/index.ts';
import { parseSpaceText } from '../hpo/space-text.ts';
import { gridPoints, paramText, type SearchSpace } from '../hpo/space.ts';
import type { Objective, TrialRecord } from '../hpo/trial.ts';
import { bestTrial, type StudyEvent } from '../hpo/runner.ts';
import { runStoredSearch } from '../hpo/store-search.ts';
import { SPACE_ALIASES, runTox21Search } from '../tox21/search.ts';
import { configOf } from '../tox21/trial-pool.ts';
import { defaultPopulation } from '../tox21/eval-hyperparams.ts';
import type { FcnHyperparams } from '../tox21/hyperparams.ts';
import { choiceOption, intOption, numberOption, parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';
import { Progress } from './progress.ts';
import { openStudy, storeFailure, STUDY_FLAGS } from './study-options.ts';
import { backendFor, checkTask, DATA_FLAGS, DATA_USAGE, dataJson, dataOptionsFrom, dataText, HYPERPARAM_FLAGS, hyperparamsFrom, loadData, seedOption } from './tox21-shared.ts';

export const usage =
  `tox21 search ${DATA_USAGE} [--preset simple|hidden|random-lr|challenge | --space 'lr=log:1e-4:1e-2,hidden=50|100,…'] ` +
  `[--sampler grid|random|tpe] [--pruner none|median|asha|hyperband] [--min-epochs 3] [--reduction 3] [--trials N] [--timeout SECONDS] ` +
  `[--reps 3] [--objective valid-wacc|valid-auc] [--population N] [--task NR-AR] [--seed N] [--study NAME] [--storage URL] ` +
  `[--epochs N …base hyperparameters] [--json]`;

export const OBJECTIVES = ['valid-wacc', 'valid-auc'] as const;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, {
    ...DATA_FLAGS, ...STUDY_FLAGS, preset: { type: 'string' }, space: { type: 'string' }, sampler: { type: 'string' }, strategy: { type: 'string' },
    pruner: { type: 'string' }, 'min-epochs': { type: 'string' }, reduction: { type: 'string' }, trials: { type: 'string' }, timeout: { type: 'string' },
    reps: { type: 'string' }, objective: { type: 'string' }, population: { type: 'string' },
    task: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...HYPERPARAM_FLAGS,
  });
  if (o.preset !== undefined && o.space !== undefined) throw new CliError('give --preset or --space, not both');
  let space: SearchSpace;
  let spaceName: string;
  if (o.space !== undefined) {
    try {
      space = parseSpaceText(o.space, { aliases: SPACE_ALIASES });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    spaceName = o.space;
  } else {
    const preset = choiceOption('preset', o.preset, Object.keys(PRESETS) as PresetName[], 'simple');
    space = PRESETS[preset];
    spaceName = preset;
  }
  const gridable = Object.values(space).every((s) => s.kind === 'choice');
  if (o.sampler !== undefined && o.strategy !== undefined) throw new CliError('--strategy is the old name of --sampler: give one');
  const samplerName = choiceOption(o.sampler !== undefined ? 'sampler' : 'strategy', o.sampler ?? o.strategy, SAMPLER_NAMES, gridable ? 'grid' : 'random');
  if (samplerName === 'grid' && !gridable) throw new CliError(`the space "${spaceName}" has continuous ranges: use --sampler random or tpe`);
  const prunerName = choiceOption('pruner', o.pruner, PRUNER_NAMES, 'none');
  const reps = intOption('reps', o.reps, 3, 1);
  const seed0 = seedOption(o.seed);
  const timeoutSeconds = o.timeout === undefined ? undefined : numberOption('timeout', o.timeout, 0);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new CliError(`--timeout must be > 0 seconds, got "${o.timeout}"`);
  const nTrials = o.trials === undefined ? (samplerName === 'grid' || timeoutSeconds !== undefined ? undefined : 10) : intOption('trials', o.trials, 10, 1);
  const objective: Objective = { name: choiceOption('objective', o.objective, OBJECTIVES, 'valid-wacc'), direction: 'maximize' };
  const populationFlag = o.population === undefined ? undefined : intOption('population', o.population, 1, 1);
  // Base hyperparameters: only the flags given override the book's defaults; the space's keys override those.
  const given = Object.keys(HYPERPARAM_FLAGS).filter((k) => o[k as keyof typeof o] !== undefined);
  const { h, mode } = hyperparamsFrom(o);
  const flagToKey: Record<string, keyof typeof h> = { hidden: 'nHidden', layers: 'nLayers', lr: 'learningRate', 'keep-prob': 'keepProb', epochs: 'nEpochs', batch: 'batchSize', 'weight-positives': 'weightPositives' };
  const base: Partial<FcnHyperparams> = Object.fromEntries(given.filter((k) => k in flagToKey).map((k) => [flagToKey[k], h[flagToKey[k]]]));
  try {
    configOf(Object.fromEntries(Object.keys(space).map((k) => [k, k === 'mode' ? 'book' : 1])), base);
  } catch (e) {
    // Names a space key that is not a hyperparameter, before any data is loaded.
    if (/is not a hyperparameter/.test((e as Error).message)) throw new CliError(`--space: ${(e as Error).message}`);
  }
  const maxEpochs = Math.max(base.nEpochs ?? h.nEpochs, ...(space.nEpochs ? (space.nEpochs.kind === 'choice' ? space.nEpochs.values.map(Number) : [space.nEpochs.high]) : []));
  const pruner = createPruner(prunerName, {
    maxEpochs,
    minEpochs: intOption('min-epochs', o['min-epochs'], 1, 1),
    reductionFactor: o.reduction === undefined ? undefined : intOption('reduction', o.reduction as string, 3, 2),
  });
  const sampler = createSampler(samplerName, { seed: seed0 + 1 });

  const be = await backendFor('tox21 search', o.backend);
  const population = populationFlag ?? defaultPopulation(be);
  const dataOpts = dataOptionsFrom(o);
  const data = await loadData('tox21 search', dataOpts);
  const task = o.task ?? 'NR-AR';
  checkTask(task, data.report, false);
  if (!o.json) process.stderr.write(dataText(data.report));

  const study = o.study === undefined ? null : await openStudy('tox21 search', o, {
    name: o.study, space, objective, reps, nTrials,
    sampler: { name: samplerName, options: { seed: seed0 + 1 } },
    pruner: { name: prunerName, options: { maxEpochs, minEpochs: o['min-epochs'] ?? 1, reduction: o.reduction ?? null } },
    extra: { task, base, mode, seed0, split: dataOpts.split, splitSeed: dataOpts.splitSeed },
  });

  const total = nTrials ?? (samplerName === 'grid' ? gridPoints(space).length : undefined);
  const progress = new Progress(process.stderr, !!o.json && !process.stderr.isTTY);
  const counts = { complete: 0, pruned: 0, failed: 0 };
  let best: TrialRecord | null = null;
  let running = 0;
  progress.stage(`${samplerName} search "${spaceName}" (pruner ${prunerName}, objective ${objective.name}): ${nTrials ?? 'all'} trials × ${reps} seeds on ${task}` +
    `${timeoutSeconds ? `, ${timeoutSeconds} s` : ''}${population === 1 ? ', one run at a time' : `, up to ${population} models at once`}` +
    `${study ? `; study "${study.study.name}" in ${study.url}${study.before > 0 ? ` (resumed: ${study.before} trials stored)` : ''}` : ''}`);
  const onEvent = (e: StudyEvent) => {
    if (e.kind === 'trial-started') running += reps;
    if (e.kind !== 'trial-finished') return;
    const t = e.trial;
    running -= reps;
    if (t.state === 'complete' || t.state === 'pruned' || t.state === 'failed') counts[t.state]++;
    if (t.state === 'complete' && (best === null || (t.values[objective.name] ?? -Infinity) > (best.values[objective.name] ?? -Infinity))) best = t;
    const done = counts.complete + counts.pruned + counts.failed;
    const b = best as TrialRecord | null;
    progress.step(done, total ?? done, `done ${counts.complete} / pruned ${counts.pruned} / failed ${counts.failed}; best ${b ? b.values[objective.name].toFixed(3) : '—'}; models running ${Math.max(0, running)}` +
      `${t.state === 'failed' ? `; trial ${t.id} failed: ${t.reason}` : ''}`);
  };
  const t0 = performance.now();
  const search = { space, sampler, pruner, objective, reps, seed0, nTrials, timeoutSeconds, task, base, mode, population, onEvent };
  let result: { trials: TrialRecord[]; best: TrialRecord | null; population: number; stopped?: string };
  try {
    if (study) {
      const r = await runStoredSearch({
        store: study.store, study: study.study, worker: study.worker, space, sampler, objective, nTrials, timeoutSeconds,
        seeds: Array.from({ length: reps }, (_, i) => seed0 + i),
        claim: Math.max(1, Math.floor(population / reps)),
        run: (initialTrials, sink, roundSampler, secondsLeft) => runTox21Search(be, data, { ...search, sampler: roundSampler, initialTrials, sink, timeoutSeconds: secondsLeft }),
        onReap: (x) => process.stderr.write(`study "${study.study.name}": trials of stopped workers ${x.retried.length ? `to retry: ${x.retried.join(', ')}` : ''}${x.failed.length ? ` failed after their last attempt: ${x.failed.join(', ')}` : ''}\n`),
      });
      result = { trials: r.trials, best: bestTrial(r.trials, objective), population: r.population, stopped: r.stopped };
    } else {
      result = await runTox21Search(be, data, search);
    }
  } catch (e) {
    throw study ? storeFailure('tox21 search', e) : e;
  } finally {
    await study?.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const ranked = [...result.trials].sort((a, b) => rank(b, objective) - rank(a, objective) || a.id - b.id);
  const failed = result.trials.filter((t) => t.state === 'failed');
  if (o.json) {
    process.stdout.write(`${JSON.stringify({
      space: spaceName, sampler: samplerName, pruner: prunerName, objective, task, reps, base, seconds, population: result.population,
      ...(result.stopped ? { stopped: result.stopped } : {}), ...(study ? { study: study.study.name, storage: study.url } : {}),
      trials: ranked, best: result.best, adapter: be.info, data: dataJson(data.report),
    })}\n`);
  } else {
    const f = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '  —  ' : v.toFixed(3));
    process.stdout.write(`rank  id  state     ${objective.name.padEnd(15)} test-wacc  epochs  configuration\n`);
    process.stdout.write(ranked.map((t, i) => `${String(i + 1).padStart(4)} ${String(t.id).padStart(3)}  ${t.state.padEnd(9)} ` +
      `${`${f(t.values[objective.name])}${t.valuesSd?.[objective.name] !== undefined ? ` ± ${f(t.valuesSd[objective.name])}` : ''}`.padEnd(15)} ${f(t.values['test-wacc']).padEnd(10)} ` +
      `${String(t.budget).padStart(6)}  ${paramText(t.params)}${t.reason ? `  (${t.reason})` : ''}`).join('\n') + '\n');
    process.stdout.write(`${result.trials.length} trials in ${seconds.toFixed(1)} s (up to ${result.population} models trained at once)\n`);
    if (result.best) process.stdout.write(`best: ${paramText(result.best.params)}: ${objective.name} ${f(result.best.values[objective.name])}, test-wacc ${f(result.best.values['test-wacc'])} (test not used to choose)\n`);
  }
  if (failed.length > 0 && failed.length === result.trials.length) {
    process.stderr.write(`shadergrad tox21 search: every trial failed (${failed.length}); most common reason: ${mostCommon(failed.map((t) => t.reason ?? 'unknown'))}\n`);
  }
  return result.best ? 0 : 1;
}

function rank(t: TrialRecord, o: Objective): number {
  const v = t.values[o.name];
  const stateBonus = t.state === 'complete' ? 2 : t.state === 'pruned' ? 1 : 0;
  return stateBonus * 10 + (typeof v === 'number' && Number.isFinite(v) ? v : -5);
}

function mostCommon(xs: string[]): string {
  const c = new Map<string, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  const [reason, n] = [...c].sort((a, b) => b[1] - a[1])[0];
  return `${reason} (${n} of ${xs.length})`;
}
