/**
 * The study's last stage: hands what the study trained to the verdict (verdict.ts) as predictions — the forests'
 * seeds, the retrained configuration's seeds, every complete searched trial — with the study's targets and the
 * study's objective as the selection metric. It lives apart from study.ts because its job is the translation and
 * its judgement calls: a model whose predictions are not there (a training that does not return them, a failed
 * seed, a trial recorded for other tasks or rows) is left out with the reason in the verdict's `missing`, never
 * guessed and never allowed to end a study that has trained for minutes.
 */
import type { DataSplit, MoleculeDataset } from '../data/tox21.ts';
import type { TrialRecord } from '../hpo/trial.ts';
import type { FcnResult } from './eval-hyperparams.ts';
import type { ForestRun } from './forest-predictions.ts';
import { checkSplitPredictions, evalTargets, type EvalTargets, type SplitPredictions } from './split-predictions.ts';
import { buildVerdict, searchedNetworks, type MetricName, type NamedPredictions, type SeededPredictions, type Verdict } from './verdict.ts';

export interface StudyVerdictInput {
  data: { dataset: MoleculeDataset; split: DataSplit };
  plan: { task: string; ensembleSize: number; ensembleBags?: number };
  forests: readonly ForestRun[];
  strongForests: readonly ForestRun[] | null;
  /** The best configuration's retraining (its runs carry `predictions` when the training returns them). */
  retrained: { seeds: number[]; runs: readonly FcnResult[] } | null;
  searches: readonly { trials: readonly TrialRecord[]; plan: { label: string } }[];
  /** The validation metric the ensembles are selected on. */
  objective: MetricName;
}

export function studyVerdict(i: StudyVerdictInput): Verdict {
  const tasks = i.plan.task === 'all' ? [...i.data.dataset.tasks] : [i.plan.task];
  const targets = evalTargets(i.data.dataset, i.data.split, tasks);
  const forest = (runs: readonly ForestRun[], trees: number): SeededPredictions => ({
    name: `random forest (${trees} trees${tasks.length > 1 ? ' per task' : ''}, balanced)`,
    seeds: runs.map((r) => r.seed),
    predictions: runs.map((r) => r.predictions),
  });
  const notes: string[] = [];
  const network = retrainedPredictions(i.retrained, targets, notes);
  const searched = searchedPredictions(i.searches, targets, notes);
  const { verdict } = buildVerdict({
    task: i.plan.task,
    targets,
    forest: forest(i.forests, i.forests[0]?.trees ?? 50),
    strongForest: i.strongForests && i.strongForests.length > 0 ? forest(i.strongForests, i.strongForests[0].trees) : null,
    network: network.value,
    searched: searched.value,
    options: { size: i.plan.ensembleSize, bags: i.plan.ensembleBags, objective: i.objective, allAggregator: i.objective === 'auc' ? 'rank' : 'mean' },
    absent: { network: network.absent, searched: searched.absent },
  });
  verdict.missing.push(...notes);
  return verdict;
}

type Found<T> = { value: T; absent?: string };

/** The retrained seeds that trained to the end and returned predictions that fit the targets. */
function retrainedPredictions(r: StudyVerdictInput['retrained'], targets: EvalTargets, notes: string[]): Found<SeededPredictions | null> {
  if (!r) return { value: null };
  const ok = r.runs.flatMap((run) => {
    const p = run.predictions;
    if (run.status !== 'ok') {
      notes.push(`retrained seed ${run.seed}: ${run.reason ?? 'failed'}`);
      return [];
    }
    if (!p) return [];
    const bad = misfit(`retrained seed ${run.seed}`, p, targets);
    if (bad) notes.push(bad);
    return bad ? [] : [{ seed: run.seed, p }];
  });
  if (ok.length === 0) {
    const why = r.runs.some((run) => run.status === 'ok' && !run.predictions)
      ? "the retrained runs carry no predictions (this build's network training does not return them)"
      : 'no retrained seed has usable predictions';
    return { value: null, absent: why };
  }
  return { value: { name: `best network, retrained (${ok.length} fresh seed${ok.length === 1 ? '' : 's'})`, seeds: ok.map((x) => x.seed), predictions: ok.map((x) => x.p) } };
}

/** Every complete trial's predictions that fit the targets, named by search (when there are several) and trial id. */
function searchedPredictions(searches: StudyVerdictInput['searches'], targets: EvalTargets, notes: string[]): Found<NamedPredictions[]> {
  const complete = searches.reduce((a, s) => a + s.trials.filter((t) => t.state === 'complete').length, 0);
  const all = searches.flatMap((s) => searchedNetworks(s.trials, searches.length > 1 ? s.plan.label : undefined));
  const fit = all.filter((n) => {
    const bad = misfit(`searched ${n.name}`, n.predictions, targets);
    if (bad) notes.push(bad);
    return !bad;
  });
  if (fit.length > 0) return { value: fit };
  const absent = complete === 0 ? 'no search trial completed'
    : all.length === 0 ? `none of the ${complete} complete trials carries predictions (this build's search does not record them)`
    : `none of the ${all.length} searched networks' predictions fit the study's tasks and rows`;
  return { value: [], absent };
}

function misfit(what: string, p: SplitPredictions, targets: EvalTargets): string | null {
  try {
    checkSplitPredictions(what, p, targets);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
