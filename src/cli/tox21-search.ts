/**
 * `shadergrad tox21 search`: a hyperparameter search over the book's network — a preset (the chapter's grids, its
 * random learning rates, our challenge space) or a `--space` — with a sampler (grid, random, TPE) and a pruner
 * (none, median, ASHA, Hyperband) on epochs. Configurations that share a step's shape train together as a
 * population; `--population 1` trains each run alone. Trials are records (src/hpo/trial.ts): the JSON lists every
 * one and the best by the objective on validation, test scores beside it, never used to choose. With `--study NAME`
 * every change is written to a study store (SQLite by default, `--storage URL`), and the same command resumes it.
 * `--task all` trains one 12-output network per trial: its values are the means over the tasks (a task whose
 * validation split holds one class is left out of the AUC mean, and said so) and each task's ("valid-auc/NR-AR").
 * On the float32 CPU backend a population's members are spread over worker threads (`--threads N`, default the
 * cores): the same trials, sooner.
 * A GPU device lost with no new one to be had ends the search with one line; the stored study resumes it.
 */
import { totalmem } from 'node:os';
import { ECFP4_1024 } from '../data/ecfp.ts';
import { createPruner, PRUNER_NAMES } from '../hpo/pruners/index.ts';
import { PRESETS, type PresetName } from '../tox21/presets.ts';
import { createSampler, SAMPLER_NAMES } from '../hpo/samplers/index.ts';
import { parseSpaceText } from '../hpo/space-text.ts';
import { gridPoints, paramText, type SearchSpace } from '../hpo/space.ts';
import { bestTrial, type Objective, type TrialRecord } from '../hpo/trial.ts';
import type { StudyEvent } from '../hpo/runner.ts';
import { runStoredSearch } from '../hpo/store-search.ts';
import { rankTrials, searchJson } from '../report/results-json.ts';
import type { PackingStats } from '../tox21/eval-hyperparams.ts';
import { SPACE_ALIASES, runTox21Search, searchPopulation, widestHidden } from '../tox21/search.ts';
import { studyIdentity } from '../tox21/study-identity.ts';
import { searchMaxEpochs, searchStudySpec } from '../tox21/search-spec.ts';
import { configOf } from '../tox21/trial-pool.ts';
import { checkSearchSpace, checkSpaceFits } from '../tox21/options-check.ts';
import { checkObjectiveDefined, checkTaskHasPositives, labelCounts, UndefinedMetricError } from '../tox21/class-balance.ts';
import type { Backend } from '../backend/backend.ts';
import { isDeviceLost } from '../gpu/errors.ts';
import { populationThreads } from '../train/population-cost.ts';
import type { FcnHyperparams } from '../tox21/hyperparams.ts';
import { choiceOption, intOption, numberOption, parseOptions, countOption } from './args.ts';
import { CliError, CommandFailed } from './cli-error.ts';
import { Progress } from './progress.ts';
import { openStudy, storeFailure, STUDY_FLAGS } from './study-options.ts';
import { backendFor, backendJson, checkTask, DATA_FLAGS, DATA_USAGE, dataJson, dataOptionsFrom, dataText, FLAG_KEYS, HYPERPARAM_FLAGS, hyperparamsFrom, loadData, seedOption } from './tox21-shared.ts';

export const usage =
  `tox21 search ${DATA_USAGE} [--preset simple|hidden|random-lr|challenge | --space 'lr=log:1e-4:1e-2,hidden=50|100,…'] ` +
  `[--sampler grid|random|tpe] [--pruner none|median|asha|hyperband] [--min-epochs 3] [--reduction 3] [--trials N] [--timeout SECONDS] ` +
  `[--reps 3] [--objective valid-wacc|valid-auc] [--population N] [--threads N] [--task NR-AR|all] [--seed N] [--backend auto|webgpu|cpu] [--study NAME] [--storage URL] ` +
  `[--epochs N …base hyperparameters] [--json]`;

export const OBJECTIVES = ['valid-wacc', 'valid-auc'] as const;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, {
    ...DATA_FLAGS, ...STUDY_FLAGS, preset: { type: 'string' }, space: { type: 'string' }, sampler: { type: 'string' }, strategy: { type: 'string' },
    pruner: { type: 'string' }, 'min-epochs': { type: 'string' }, reduction: { type: 'string' }, trials: { type: 'string' }, timeout: { type: 'string' },
    reps: { type: 'string' }, objective: { type: 'string' }, population: { type: 'string' }, threads: { type: 'string' },
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
  checkSearchSpace(space); // every value a trial could take, before any data loads (src/tox21/options-check.ts)
  const gridable = Object.values(space).every((s) => s.kind === 'choice');
  if (o.sampler !== undefined && o.strategy !== undefined) throw new CliError('--strategy is the old name of --sampler: give one');
  const samplerName = choiceOption(o.sampler !== undefined ? 'sampler' : 'strategy', o.sampler ?? o.strategy, SAMPLER_NAMES, gridable ? 'grid' : 'random');
  if (samplerName === 'grid' && !gridable) throw new CliError(`the space "${spaceName}" has continuous ranges: use --sampler random or tpe`);
  const prunerName = choiceOption('pruner', o.pruner, PRUNER_NAMES, 'none');
  const reps = countOption('reps', o.reps, 3);
  const seed0 = seedOption(o.seed);
  const timeoutSeconds = o.timeout === undefined ? undefined : numberOption('timeout', o.timeout, 0);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new CliError(`--timeout must be > 0 seconds, got "${o.timeout}"`);
  const nTrials = o.trials === undefined ? (samplerName === 'grid' || timeoutSeconds !== undefined ? undefined : 10) : countOption('trials', o.trials, 10);
  const objective: Objective = { name: choiceOption('objective', o.objective, OBJECTIVES, 'valid-wacc'), direction: 'maximize' };
  const populationFlag = o.population === undefined ? undefined : countOption('population', o.population, 1);
  const threads = o.threads === undefined ? undefined : countOption('threads', o.threads, 1);
  // Base hyperparameters: only the flags given override the book's defaults; the space's keys override those.
  const given = Object.keys(HYPERPARAM_FLAGS).filter((k) => o[k as keyof typeof o] !== undefined);
  const { h, mode } = hyperparamsFrom(o);
  const base: Partial<FcnHyperparams> = Object.fromEntries(given.filter((k) => k in FLAG_KEYS).map((k) => [FLAG_KEYS[k], h[FLAG_KEYS[k]]]));
  try {
    configOf(Object.fromEntries(Object.keys(space).map((k) => [k, k === 'mode' ? 'book' : 1])), base);
  } catch (e) {
    // Names a space key that is not a hyperparameter, before any data is loaded.
    if (/is not a hyperparameter/.test((e as Error).message)) throw new CliError(`--space: ${(e as Error).message}`);
  }
  const maxEpochs = searchMaxEpochs(space, base);
  const pruner = createPruner(prunerName, {
    maxEpochs,
    minEpochs: intOption('min-epochs', o['min-epochs'], 1, 1),
    reductionFactor: o.reduction === undefined ? undefined : intOption('reduction', o.reduction as string, 3, 2),
  });
  const sampler = createSampler(samplerName, { seed: seed0 + 1 });

  checkSpaceFits(null, space, base, { inputs: ECFP4_1024.nBits, rows: Infinity }); // before a backend is timed on it
  let be: Backend = await backendFor('tox21 search', o.backend, {
    hidden: widestHidden(space, base), layers: Math.max(base.nLayers ?? h.nLayers, ...(space.nLayers?.kind === 'choice' ? space.nLayers.values.map(Number) : [])), batch: base.batchSize ?? h.batchSize,
  }, { populations: populationFlag === undefined, threads });
  const population = searchPopulation(be, populationFlag, threads);
  const poolThreads = population === 1 ? 1 : Math.min(population, populationThreads(be, threads).threads);
  if (threads !== undefined && threads > 1 && poolThreads === 1) {
    process.stderr.write(`shadergrad tox21 search: --threads ${threads} ignored: ${population === 1 ? '--population 1 trains one run at a time' : populationThreads(be, threads).reason}\n`);
  }
  const dataOpts = dataOptionsFrom(o);
  const data = await loadData('tox21 search', dataOpts);
  const task = o.task ?? 'NR-AR';
  checkTask(task, data.report, true);
  if (task === 'all') checkTasksScorable(data, objective.name);
  else {
    checkObjectiveDefined(data, task, objective.name);
    checkTaskHasPositives(data, task, ['valid']);
  }
  checkSpaceFits(be, space, base, { inputs: data.dataset.features.nBits, rows: data.split.train.length, hostMemoryBytes: totalmem() });
  if (!o.json) process.stderr.write(dataText(data.report));

  const study = o.study === undefined ? null : await openStudy('tox21 search', o, searchStudySpec({
    name: o.study, space, objective, reps, nTrials, sampler: samplerName, pruner: prunerName, seed0,
    minEpochs: o['min-epochs'], reduction: o.reduction, base, mode, identity: studyIdentity(data.dataset, data.report, task),
  }));

  const total = nTrials ?? (samplerName === 'grid' ? gridPoints(space).length : undefined);
  const progress = new Progress(process.stderr, !!o.json && !process.stderr.isTTY);
  const counts = { complete: 0, pruned: 0, failed: 0 };
  let best: TrialRecord | null = null;
  let running = 0;
  progress.stage(`${samplerName} search "${spaceName}" (pruner ${prunerName}, objective ${objective.name}): ${nTrials ?? 'all'} trials × ${reps} seeds on ${task}` +
    `${timeoutSeconds ? `, ${timeoutSeconds} s` : ''}${population === 1 ? ', one run at a time' : `, up to ${population} models at once`}${poolThreads > 1 ? ` on ${poolThreads} threads` : ''}` +
    `${study ? `; study "${study.study.name}" in ${study.url}${study.before > 0 ? ` (resumed: ${study.before} trials stored)` : ''}` : ''}`);
  const onEvent = (e: StudyEvent) => {
    if (e.kind === 'trial-started') running += reps;
    if (e.kind !== 'trial-finished') return;
    const t = e.trial;
    running -= reps;
    if (t.state === 'complete' || t.state === 'pruned' || t.state === 'failed') counts[t.state]++;
    best = bestTrial(best ? [best, t] : [t], objective) ?? best;
    const done = counts.complete + counts.pruned + counts.failed;
    const b = best as TrialRecord | null;
    progress.step(done, total ?? done, `done ${counts.complete} / pruned ${counts.pruned} / failed ${counts.failed}; best ${b ? b.values[objective.name].toFixed(3) : '—'}; models running ${Math.max(0, running)}` +
      `${t.state === 'failed' ? `; trial ${t.id} failed: ${t.reason}` : ''}`);
  };
  const t0 = performance.now();
  const search = { space, sampler, pruner, objective, reps, seed0, nTrials, timeoutSeconds, task, base, mode, population, threads, onEvent };
  let result: { trials: TrialRecord[]; best: TrialRecord | null; population: number; stopped?: string; packing?: PackingStats };
  try {
    if (study) {
      const r = await runStoredSearch({
        store: study.store, study: study.study, worker: study.worker, space, sampler, objective, nTrials, timeoutSeconds,
        seeds: Array.from({ length: reps }, (_, i) => seed0 + i),
        run: async (initialTrials, sink, source, secondsLeft) => {
          const r = await runTox21Search(be, data, { ...search, source, initialTrials, sink, timeoutSeconds: secondsLeft });
          be = r.backend; // a new device after a loss: the next round goes on with it
          return r;
        },
        onReap: (x) => process.stderr.write(`study "${study.study.name}": trials of stopped workers ${x.retried.length ? `to retry: ${x.retried.join(', ')}` : ''}${x.failed.length ? ` failed after their last attempt: ${x.failed.join(', ')}` : ''}\n`),
      });
      result = { trials: r.trials, best: bestTrial(r.trials, objective), population: r.population, stopped: r.stopped };
    } else {
      result = await runTox21Search(be, data, search);
    }
  } catch (e) {
    if (isDeviceLost(e)) {
      const hint = study ? `resume the study (the same command with --study ${study.study.name}) to finish it once a GPU is back` : 'run it with --study NAME to keep its trials and resume it once a GPU is back';
      process.stderr.write(`shadergrad tox21 search: ${(e as Error).message}; ${hint}\n`);
      throw new CommandFailed((e as Error).message);
    }
    throw study ? storeFailure('tox21 search', e) : e;
  } finally {
    await study?.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const ranked = rankTrials(result.trials, objective);
  const failed = result.trials.filter((t) => t.state === 'failed');
  if (o.json) {
    process.stdout.write(`${JSON.stringify(searchJson({
      space: spaceName, sampler: samplerName, pruner: prunerName, objective, task, reps, base, seconds, population: result.population, ...(result.packing ? { packing: result.packing } : {}), stopped: result.stopped,
      study: study ? { name: study.study.name, storage: study.url } : undefined,
      trials: result.trials, best: result.best,
      adapter: be.info, backend: backendJson(be), data: dataJson(data.report),
    }))}\n`);
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

/**
 * `--task all`: the objective is a mean over the tasks its split can score. Refuses when none can; otherwise names
 * the tasks left out (a validation split with one class has no ROC-AUC) so the mean is not read as all twelve.
 */
function checkTasksScorable(data: Awaited<ReturnType<typeof loadData>>, objective: string): void {
  const m = /^(train|valid|test)-(auc|wacc)$/.exec(objective);
  if (!m) return;
  const part = m[1] as 'train' | 'valid' | 'test';
  const skipped = data.dataset.tasks.filter((t) => {
    const c = labelCounts(data.dataset, t, data.split[part]);
    return m[2] === 'auc' ? c.positives === 0 || c.positives === c.labelled : c.labelled === 0;
  });
  if (skipped.length === data.dataset.tasks.length) throw new UndefinedMetricError(`no task can be scored with ${objective} on the ${part} split (each has one class or no labels there); use another --objective or --split`);
  if (skipped.length > 0) process.stderr.write(`shadergrad tox21 search: ${objective} is the mean over ${data.dataset.tasks.length - skipped.length} of ${data.dataset.tasks.length} tasks; left out (one class or no labels in the ${part} split): ${skipped.join(', ')}\n`);
}

function mostCommon(xs: string[]): string {
  const c = new Map<string, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  const [reason, n] = [...c].sort((a, b) => b[1] - a[1])[0];
  return `${reason} (${n} of ${xs.length})`;
}
