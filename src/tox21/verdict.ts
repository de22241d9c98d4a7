/**
 * The study's verdict across model families (issue 22): on the study's task (or the mean over the twelve) and on
 * a focus task (NR-AR), validation and test, ROC-AUC and weighted accuracy, it sets side by side
 *
 *   forest             the book's forest (50 trees per task, balanced) over its seeds, mean ± sd; and 200 trees
 *   network            the best searched configuration retrained with fresh seeds, mean ± sd
 *   seed-ensemble      the mean probability of those retrained seeds
 *   ensemble-networks  greedy selection with replacement (src/ensemble/) over the searched networks
 *   ensemble-all       the same over the searched networks and every forest seed, rank-averaged
 *
 * and says which family wins. Everything here is computed from predictions (split-predictions.ts); selection is
 * handed the candidates' validation predictions only (buildEnsemble), test predictions are scored afterwards, so
 * a test value never chooses a member (test/verdict.test.ts garbles them and checks the picks).
 *
 * Choices, and why:
 * - Networks share one scale (sigmoids), so their ensemble averages probabilities ('mean'). Forests' vote
 *   fractions and networks' sigmoids do not, so the mixed ensemble averages per-task ranks ('rank', as the
 *   issue's hand-made blend did). A rank average is not a probability and a 0.5 threshold on it means nothing, so
 *   the mixed ensemble's weighted accuracy is that of the weighted mean of its members' probabilities, with the
 *   same members and weights; its ROC-AUC is the rank average's. Both are balanced-weight models, whose 0.5
 *   threshold is meaningful. The model says so in `note`.
 * - Families: forest (forest, 200-tree forest), network (network, seed ensemble, ensemble of networks), blend
 *   (ensemble-all). In each cell (scope × split × metric) each family is represented by its best model there;
 *   the winner is the best family and the margin its lead over the runner-up. Whatever the blend does, each cell
 *   also keeps the book's question, networks or forests: the network family's best minus the forest family's.
 * - MARGIN_RULE below: the margin "exceeds the seeds' spread" when it is more than twice the larger seed-to-seed
 *   standard deviation of the two families compared. A family's spread is the largest sd among its models trained
 *   over several seeds (the forests', the retrained network's); the blend, trained from both, takes the larger of
 *   the two. Conservative on purpose: an sd of single runs, not of a mean, and the larger one. With no model over
 *   two or more seeds there is no spread and the answer is null, never a guess.
 * - A task whose split holds one class has no ROC-AUC: it is left out of that split's means and listed in
 *   `excluded`; a cell whose focus task is undefined names the reason and declares no winner.
 */
import { applyEnsemble, type AggregatorName } from '../ensemble/aggregator.ts';
import { buildEnsemble, type BuiltEnsemble, type Candidate } from '../ensemble/build.ts';
import { rocAucObjective, weightedAccuracyObjective } from '../metrics/per-task.ts';
import { meanSd } from '../stats/mean-sd.ts';
import type { TrialRecord } from '../hpo/trial.ts';
import { checkSplitPredictions, EVAL_SPLITS, meanPredictions, scorePredictions, scoreSplit, trialPredictions, type EvalSplit, type EvalTargets, type SplitPredictions, type SplitScore } from './split-predictions.ts';

export type ModelKind = 'forest' | 'network' | 'seed-ensemble' | 'ensemble-networks' | 'ensemble-all';
export type Family = 'forest' | 'network' | 'blend';
export type MetricName = 'auc' | 'wacc';

export const FAMILY_OF: Record<ModelKind, Family> = { forest: 'forest', network: 'network', 'seed-ensemble': 'network', 'ensemble-networks': 'network', 'ensemble-all': 'blend' };

export const MARGIN_RULE = "a margin exceeds the seeds' spread when it is more than twice the larger seed-to-seed standard deviation of the two families compared (a family's: the largest sd among its models trained over several seeds; the blend's: the larger of the forests' and the network's)";

export interface VerdictScores {
  auc: number;
  wacc: number;
  /** Standard deviation over seeds, for models trained over two or more seeds. */
  sd?: { auc: number; wacc: number };
}

export interface VerdictModel {
  name: string;
  kind: ModelKind;
  /** The seeds the scores are a mean ± sd over (a seed ensemble: the seeds it averages; a selected ensemble: none). */
  seeds: number[];
  valid: VerdictScores;
  test: VerdictScores;
  /** With several tasks: each task's scores (means over seeds), by task name. */
  perTask?: Record<string, { valid: VerdictScores; test: VerdictScores }>;
  /** A selected ensemble's members (picked at least once) and weights (times picked / picks). */
  members?: { name: string; weight: number }[];
  aggregator?: AggregatorName;
  note?: string;
}

export interface FamilyComparison {
  /** 'mean' (over the tasks) or a task's name. */
  scope: string;
  split: EvalSplit;
  metric: MetricName;
  /** Each family's best model in this cell, best first (families without a defined value left out). */
  ranking: { family: Family; model: string; value: number }[];
  winner: Family | null;
  /** Winner's value minus the runner-up's; NaN with fewer than two families. */
  margin: number;
  /** The larger spread of the two families compared (MARGIN_RULE); NaN when neither was trained over 2+ seeds. */
  spread: number;
  /** margin > 2 · spread; null without a spread or a runner-up. */
  exceedsSpread: boolean | null;
  /** The book's question whatever the blend does: the network family's best minus the forest family's (NaN without both). */
  networkMinusForest: number;
  /** Why there is no winner, when there is none. */
  note?: string;
}

export interface Verdict {
  /** The study's task: a task's name or 'all'. */
  task: string;
  tasks: string[];
  models: VerdictModel[];
  comparisons: FamilyComparison[];
  /** Tasks left out of a split's means (one class among its labelled rows), with why. */
  excluded: { split: EvalSplit; task: string; metric: MetricName; reason: string }[];
  /** How the ensembles were chosen, on validation only. */
  selection: { objective: string; size: number; bags?: number; bagFraction?: number; candidates: { networks: number; all: number } };
  /** Models the inputs could not give (no completed trial, no retrained network), with why. */
  missing: string[];
  rule: string;
}

/** One model trained over several seeds: one predictions object per seed, in `seeds` order. */
export interface SeededPredictions {
  name?: string;
  seeds: number[];
  predictions: SplitPredictions[];
}

export interface NamedPredictions {
  name: string;
  predictions: SplitPredictions;
}

export interface VerdictOptions {
  /** Picks per selected ensemble (Caruana et al.'s ensemble size). Default 50. */
  size?: number;
  /** The validation objective selection maximises: mean ROC-AUC (default) or mean weighted accuracy. */
  objective?: MetricName;
  /** The mixed ensemble's aggregator: 'rank' (default) or 'mean'. */
  allAggregator?: AggregatorName;
  /** The task compared beside the mean when there are several (default NR-AR when present). */
  focusTask?: string;
  /** Bagged selection (src/ensemble/selector.ts): bags (default 1, plain selection) and the share each draws (default 0.5). */
  bags?: number;
  bagFraction?: number;
}

export interface VerdictInput {
  task: string;
  targets: EvalTargets;
  /** The book's forest (50 trees) over its seeds. */
  forest: SeededPredictions;
  /** The 200-tree forest, over its seeds. */
  strongForest?: SeededPredictions | null;
  /** The best searched configuration retrained with fresh seeds. */
  network?: SeededPredictions | null;
  /** The searched networks (complete trials): the ensembles' network candidates. */
  searched?: readonly NamedPredictions[];
  options?: VerdictOptions;
  /** Why a model is absent, in the caller's words (e.g. "this build's training returns no predictions"), over the defaults. */
  absent?: { network?: string; searched?: string };
}

/**
 * The ensembles' network candidates from a search's trials: every complete trial that carries predictions
 * (detail.predictions), named "<label> trial <id>" (ids repeat across searches). Pruned and failed trials never
 * count: a pruned trial stopped early on its validation curve, so its predictions are of a model the search gave up.
 */
export function searchedNetworks(trials: readonly TrialRecord[], label?: string): NamedPredictions[] {
  return trials.flatMap((t) => {
    if (t.state !== 'complete') return [];
    const predictions = trialPredictions(t);
    return predictions ? [{ name: `${label ? `${label} ` : ''}trial ${t.id}`, predictions }] : [];
  });
}

/** The verdict's data, and the two selected ensembles (selection trace, predictions) for whoever wants more. */
export function buildVerdict(input: VerdictInput): { verdict: Verdict; ensembles: { networks: BuiltEnsemble | null; all: BuiltEnsemble | null } } {
  const o = input.options ?? {};
  const tasks = input.targets.valid.tasks;
  checkInput(input);
  const missing: string[] = [];
  const models = familyModels(input, missing);
  const selected = selectedEnsembles(input, missing);
  models.push(...selected.models);
  const excluded = excludedTasks(input.targets);
  const focus = o.focusTask ?? (tasks.length > 1 && tasks.includes('NR-AR') ? 'NR-AR' : undefined);
  if (focus !== undefined && !tasks.includes(focus)) throw new RangeError(`verdict: focus task "${focus}" is not among [${tasks.join(', ')}]`);
  const scopes = tasks.length > 1 ? ['mean', ...(focus ? [focus] : [])] : [tasks[0]];
  const comparisons = scopes.flatMap((scope) => EVAL_SPLITS.flatMap((split) => (['auc', 'wacc'] as const).map((metric) => compare(models, scope, split, metric, excluded))));
  return {
    verdict: { task: input.task, tasks: [...tasks], models, comparisons, excluded, selection: selected.selection, missing, rule: MARGIN_RULE },
    ensembles: selected.ensembles,
  };
}

/** The forests, the retrained network and its seed ensemble. */
function familyModels(input: VerdictInput, missing: string[]): VerdictModel[] {
  const { targets } = input;
  const models = [seededModel(input.forest, 'forest', input.forest.name ?? 'random forest (50 trees, balanced)', targets)];
  if (input.strongForest) models.push(seededModel(input.strongForest, 'forest', input.strongForest.name ?? 'random forest (200 trees, balanced)', targets));
  const n = input.network;
  if (!n || n.predictions.length === 0) {
    missing.push(`network and seed ensemble: ${input.absent?.network ?? 'no retrained network (no search configuration completed)'}`);
    return models;
  }
  models.push(seededModel(n, 'network', n.name ?? 'best network, retrained', targets));
  const avg = meanPredictions(n.predictions, 'seed ensemble');
  models.push({ ...singleModel(avg, targets), name: `seed ensemble of the best network (${plural(n.seeds.length, 'seed')})`, kind: 'seed-ensemble', seeds: [...n.seeds] });
  return models;
}

/** Greedy selection on validation over the searched networks, then over them and every forest seed. */
function selectedEnsembles(input: VerdictInput, missing: string[]): { models: VerdictModel[]; selection: Verdict['selection']; ensembles: { networks: BuiltEnsemble | null; all: BuiltEnsemble | null } } {
  const { targets } = input;
  const o = input.options ?? {};
  const size = o.size ?? 50;
  const objective = o.objective ?? 'auc';
  const allAggregator = o.allAggregator ?? 'rank';
  if (objective === 'wacc' && allAggregator === 'rank') throw new RangeError("verdict: a rank average has no 0.5 threshold; select on weighted accuracy with allAggregator 'mean'");
  const scorer = objective === 'auc' ? rocAucObjective : weightedAccuracyObjective;
  const v = targets.valid;
  // Selection is handed the validation labels and the candidates' validation arrays; test arrays ride along to be
  // combined with the chosen weights afterwards (buildEnsemble).
  const bags = o.bags ?? 1, bagFraction = o.bagFraction ?? 0.5;
  const select = (cands: Candidate[], aggregator: AggregatorName) =>
    buildEnsemble(cands, { rows: v.rows, tasks: v.tasks.length, labels: v.labels, weights: v.weights }, { size, aggregator, scorer, testRows: targets.test.rows, bags, bagFraction });

  const nets: Candidate[] = (input.searched ?? []).map((s) => ({ name: s.name, valid: s.predictions.valid, test: s.predictions.test }));
  const forests: Candidate[] = [input.forest, input.strongForest].flatMap((f, k) =>
    f ? f.predictions.map((p, i) => ({ name: `${k ? 'forest (200 trees)' : 'forest'} seed ${f.seeds[i]}`, valid: p.valid, test: p.test })) : [],
  );
  const selection = { objective: `valid-${objective}`, size, ...(bags > 1 ? { bags, bagFraction } : {}), candidates: { networks: nets.length, all: nets.length + forests.length } };
  if (nets.length === 0) {
    missing.push(`selected ensembles: ${input.absent?.searched ?? 'no searched network carries predictions'}`);
    return { models: [], selection, ensembles: { networks: null, all: null } };
  }
  const networks = select(nets, 'mean');
  const all = select([...nets, ...forests], allAggregator);
  return {
    models: [
      ensembleModel(networks, nets, 'mean', 'ensemble-networks', `selected ensemble of networks (${plural(nets.length, 'candidate')})`, targets),
      ensembleModel(all, [...nets, ...forests], allAggregator, 'ensemble-all', `selected ensemble of networks and forests (${plural(nets.length + forests.length, 'candidate')})`, targets),
    ],
    selection,
    ensembles: { networks, all },
  };
}

/** Tasks a split cannot score. That depends on its labels only, so any predictions tell; zeros will do. */
function excludedTasks(targets: EvalTargets): Verdict['excluded'] {
  return EVAL_SPLITS.flatMap((split) => scoreSplit(new Float32Array(targets[split].labels.length), targets[split]).skipped.map((s) => ({ split, ...s })));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function checkInput(input: VerdictInput): void {
  const { targets } = input;
  const tasks = targets.valid.tasks;
  if (input.task !== 'all' && (tasks.length !== 1 || tasks[0] !== input.task)) throw new RangeError(`verdict: task "${input.task}" but targets for [${tasks.join(', ')}]`);
  const seeded = (what: string, s: SeededPredictions | null | undefined, required: boolean) => {
    if (!s) return;
    if (s.predictions.length !== s.seeds.length) throw new RangeError(`verdict: ${what} has ${s.predictions.length} predictions for ${s.seeds.length} seeds`);
    if (required && s.predictions.length === 0) throw new RangeError(`verdict: ${what} has no seeds`);
    s.predictions.forEach((p, i) => checkSplitPredictions(`verdict: ${what} seed ${s.seeds[i]}`, p, targets));
  };
  seeded('forest', input.forest, true);
  seeded('200-tree forest', input.strongForest, true);
  seeded('network', input.network, false);
  (input.searched ?? []).forEach((s) => checkSplitPredictions(`verdict: searched network ${s.name}`, s.predictions, targets));
}

/** Scores of one split as the verdict keeps them: the means, and each task's. */
type Scored = Record<EvalSplit, SplitScore>;

function seededModel(s: SeededPredictions, kind: ModelKind, name: string, targets: EvalTargets): VerdictModel {
  const runs = s.predictions.map((p) => scorePredictions(p, targets));
  const stat = (pick: (r: Scored) => { auc: number; wacc: number }) => {
    const auc = meanSd(runs.map((r) => pick(r).auc)), wacc = meanSd(runs.map((r) => pick(r).wacc));
    return { auc: auc.mean, wacc: wacc.mean, ...(runs.length > 1 ? { sd: { auc: auc.sd, wacc: wacc.sd } } : {}) };
  };
  const model: VerdictModel = { name, kind, seeds: [...s.seeds], valid: stat((r) => r.valid), test: stat((r) => r.test) };
  const tasks = targets.valid.tasks;
  if (tasks.length > 1) model.perTask = Object.fromEntries(tasks.map((t) => [t, { valid: stat((r) => r.valid.perTask[t]), test: stat((r) => r.test.perTask[t]) }]));
  return model;
}

function singleModel(p: SplitPredictions, targets: EvalTargets): Pick<VerdictModel, 'valid' | 'test' | 'perTask'> {
  return fromScored(scorePredictions(p, targets), targets.valid.tasks);
}

function fromScored(s: Scored, tasks: string[]): Pick<VerdictModel, 'valid' | 'test' | 'perTask'> {
  const pair = (x: { auc: number; wacc: number }) => ({ auc: x.auc, wacc: x.wacc });
  return {
    valid: pair(s.valid), test: pair(s.test),
    ...(tasks.length > 1 ? { perTask: Object.fromEntries(tasks.map((t) => [t, { valid: pair(s.valid.perTask[t]), test: pair(s.test.perTask[t]) }])) } : {}),
  };
}

/**
 * A selected ensemble's scores: ROC-AUC of its aggregate; weighted accuracy of its aggregate when that is a
 * probability ('mean'), else of the weighted mean of its members' probabilities with the same weights.
 */
function ensembleModel(b: BuiltEnsemble, cands: Candidate[], aggregator: AggregatorName, kind: ModelKind, name: string, targets: EvalTargets): VerdictModel {
  const tasks = targets.valid.tasks;
  const agg = { valid: b.valid, test: b.test! };
  const prob = aggregator === 'mean' ? agg : Object.fromEntries(EVAL_SPLITS.map((s) => [s, applyEnsemble(b.selection.weights, cands.map((c) => c[s]!), { rows: targets[s].rows, tasks: tasks.length }, 'mean')])) as typeof agg;
  const scored = Object.fromEntries(EVAL_SPLITS.map((s) => {
    const a = scoreSplit(agg[s], targets[s]), p = aggregator === 'mean' ? a : scoreSplit(prob[s], targets[s]);
    const perTask = Object.fromEntries(tasks.map((t) => [t, { auc: a.perTask[t].auc, wacc: p.perTask[t].wacc }]));
    return [s, { ...a, wacc: p.wacc, perTask }];
  })) as Scored;
  return {
    name, kind, seeds: [], ...fromScored(scored, tasks),
    members: b.members.map((m) => ({ name: m.name, weight: m.weight })),
    aggregator,
    ...(aggregator === 'rank' ? { note: 'ROC-AUC of the rank average; weighted accuracy of the weighted mean of the members\u2019 probabilities, same members and weights' } : {}),
  };
}

function cell(m: VerdictModel, scope: string, split: EvalSplit, metric: MetricName): { value: number; sd: number } {
  const s = scope === 'mean' || !m.perTask ? m[split] : m.perTask[scope]?.[split];
  return { value: s ? s[metric] : Number.NaN, sd: s?.sd ? s.sd[metric] : Number.NaN };
}

function compare(models: VerdictModel[], scope: string, split: EvalSplit, metric: MetricName, excluded: Verdict['excluded']): FamilyComparison {
  const families: Family[] = ['forest', 'network', 'blend'];
  const spreadOf = (f: Family): number => {
    const sds = models.filter((m) => (f === 'blend' ? FAMILY_OF[m.kind] !== 'blend' : FAMILY_OF[m.kind] === f)).map((m) => cell(m, scope, split, metric).sd).filter((v) => !Number.isNaN(v));
    return sds.length ? Math.max(...sds) : Number.NaN;
  };
  const ranking = families.flatMap((family) => {
    let best: { family: Family; model: string; value: number } | null = null;
    for (const m of models) {
      if (FAMILY_OF[m.kind] !== family) continue;
      const { value } = cell(m, scope, split, metric);
      if (!Number.isNaN(value) && (best === null || value > best.value)) best = { family, model: m.name, value };
    }
    return best ? [best] : [];
  }).sort((a, b) => b.value - a.value);
  const of = (f: Family) => ranking.find((r) => r.family === f)?.value ?? Number.NaN;
  const base = { scope, split, metric, ranking, networkMinusForest: of('network') - of('forest') };
  if (ranking.length === 0) {
    const why = excluded.find((e) => e.split === split && e.metric === metric && (scope === 'mean' || e.task === scope));
    return { ...base, winner: null, margin: Number.NaN, spread: Number.NaN, exceedsSpread: null, note: why ? `${why.task}: ${why.reason}` : 'no model has a value here' };
  }
  const [first, second] = ranking;
  if (!second) return { ...base, winner: first.family, margin: Number.NaN, spread: Number.NaN, exceedsSpread: null, note: 'only one family has a value here' };
  const spreads = [spreadOf(first.family), spreadOf(second.family)].filter((v) => !Number.isNaN(v));
  const spread = spreads.length ? Math.max(...spreads) : Number.NaN;
  const margin = first.value - second.value;
  if (margin === 0) return { ...base, winner: null, margin, spread, exceedsSpread: null, note: `a tie between ${first.family} and ${second.family}` };
  return { ...base, winner: first.family, margin, spread, exceedsSpread: Number.isNaN(spread) ? null : margin > 2 * spread };
}
