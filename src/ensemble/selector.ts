/**
 * Greedy ensemble selection with replacement (Caruana, Niculescu-Mizil, Crew & Ksikes, "Ensemble Selection from
 * Libraries of Models", ICML 2004), as auto-sklearn's EnsembleSelection runs it over the models its search trained:
 * start from an empty ensemble (or the N best single models), then `size` times add the candidate — any, again if
 * it helps most — whose addition gives the best validation objective. A candidate's weight is how often it was
 * picked over `size`. Ties go to the lowest candidate index, so the result is deterministic.
 *
 * Bagged selection (the paper's §4.3 remedy for a hillclimb set small enough to overfit — NR-AR's validation split
 * has 29 positives): `bags` times, greedy selection over a random `bagFraction` of the candidates (a seeded draw),
 * and the bags' picks pooled; a candidate's weight is its picks over all bags / (bags × size). Models that are alike
 * (forest seeds) then share the weight instead of one taking it all.
 *
 * Only validation data reaches this function: its arguments are the candidates' validation predictions and the
 * validation labels. Test predictions are applied afterwards (applyEnsemble) with the weights chosen here.
 */
import { rocAucObjective, type TaskObjective } from '../metrics/per-task.ts';
import { aggregatorNamed, type Aggregator, type AggregatorName } from './aggregator.ts';
import { checkPredictions, type PredictionShape } from './predictions.ts';
import { permutation, Rng } from '../random/rng.ts';

/**
 * A scorer: validation labels and weights in, the objective over [rows × tasks] out (higher is better; its .mean
 * is the objective), e.g. rocAucObjective or weightedAccuracyObjective from src/metrics/per-task.ts.
 */
export type Scorer = (y: ArrayLike<number>, w: ArrayLike<number> | undefined, tasks: number) => TaskObjective;

/** Validation labels [rows × tasks] (NaN = missing) and weights (0 = missing; sample weights for accuracy). */
export interface ValidationTargets extends PredictionShape {
  labels: ArrayLike<number>;
  weights?: ArrayLike<number>;
}

export interface SelectionOptions {
  /** Picks in all, the initial ones included (Caruana et al.'s ensemble size). Default 50. */
  size?: number;
  /**
   * Start with the N best single candidates, one pick each (Caruana et al.'s sorted initialisation; auto-sklearn's
   * `ensemble_nbest` instead keeps only the N best in the library). Default 0: every pick is greedy. 0 and 1 select
   * the same ensemble, since the first greedy pick is the best single candidate (lowest index on a tie).
   */
  initBest?: number;
  aggregator?: AggregatorName | Aggregator;
  /** Default rocAucObjective: the mean of the tasks' ROC-AUCs, missing labels left out. */
  scorer?: Scorer;
  /** Bagged selection: this many bags (default 1: plain selection over every candidate). */
  bags?: number;
  /** Share of the candidates each bag draws, in (0, 1] (default 0.5, as Caruana et al.); at least one. */
  bagFraction?: number;
  /** Seed of the bags' draws (default 0). */
  bagSeed?: number;
}

export interface Selection {
  aggregator: AggregatorName;
  size: number;
  /** Each candidate's weight: the times it was picked / size (they sum to 1). Plain arrays: a study's JSON holds them. */
  weights: number[];
  counts: number[];
  /** The candidate added at each pick, the initial ones first (bag after bag when bagged). */
  picks: number[];
  /** The validation objective of the ensemble after each pick (of its bag's ensemble when bagged). */
  scores: number[];
  /** The validation objective of the selected ensemble (all bags pooled). */
  score: number;
  /** Bagged selection: the bags' count, fraction and seed, and the candidates each bag drew. */
  bagging?: { bags: number; fraction: number; seed: number; drawn: number[][] };
  /** Each candidate's own validation objective, and the best of them (lowest index on a tie). */
  single: number[];
  bestSingle: number;
  /** Tasks the objective averaged, and those it skipped (a single class among their labelled rows) with why. */
  tasksScored: number;
  skippedTasks: { task: number; reason: string }[];
}

export function selectEnsemble(valid: readonly ArrayLike<number>[], targets: ValidationTargets, opts: SelectionOptions = {}): Selection {
  const n = valid.length;
  const size = opts.size ?? 50;
  const initBest = opts.initBest ?? 0;
  const bags = opts.bags ?? 1, fraction = opts.bagFraction ?? 0.5, seed = opts.bagSeed ?? 0;
  checkInput(valid, targets, size, initBest);
  checkBagging(bags, fraction, seed, n, initBest);
  const agg = aggregatorNamed(opts.aggregator);
  const score = (opts.scorer ?? rocAucObjective)(targets.labels, targets.weights, targets.tasks);
  const members = valid.map((p) => agg.member(p, targets));

  const first = score(members[0]);
  if (first.definedTasks === 0) throw new RangeError(`ensemble selection: the objective is undefined on every validation task (task 0: ${first.reasons[0]})`);
  const skippedTasks = first.reasons.flatMap((r, task) => (r === null ? [] : [{ task, reason: r }]));
  const single = members.map((m, c) => (c === 0 ? first.mean : score(m).mean));
  const ranked = single.map((_, c) => c).sort((a, b) => better(single[a], single[b]) ? -1 : better(single[b], single[a]) ? 1 : a - b);

  const drawn = bags === 1 ? [ranked.slice().sort((a, b) => a - b)] : drawBags(n, bags, fraction, seed);
  const counts = new Uint32Array(n);
  const picks: number[] = [];
  const scores: number[] = [];
  for (const pool of drawn) {
    const bag = greedy(members, score, pool, ranked.filter((c) => pool.includes(c)), size, initBest);
    bag.picks.forEach((c) => counts[c]++);
    picks.push(...bag.picks);
    scores.push(...bag.scores);
  }
  const total = size * drawn.length;
  const pooled = new Float64Array(targets.rows * targets.tasks);
  members.forEach((m, c) => {
    if (counts[c] > 0) for (let i = 0; i < pooled.length; i++) pooled[i] += (counts[c] * m[i]) / total;
  });
  return {
    aggregator: agg.name,
    size,
    weights: Array.from(counts, (k) => k / total),
    counts: Array.from(counts),
    picks,
    scores,
    score: bags === 1 ? scores[scores.length - 1] : score(pooled).mean,
    ...(bags === 1 ? {} : { bagging: { bags, fraction, seed, drawn } }),
    single,
    bestSingle: ranked[0],
    tasksScored: first.definedTasks,
    skippedTasks,
  };
}

/**
 * Greedy selection with replacement over the candidates in `pool` (ascending: ties go to the lowest index):
 * `initBest` picks of the best singles (`ranked`, best first, within the pool), then greedy picks up to `size`.
 */
function greedy(members: readonly Float64Array[], score: (p: Float64Array) => { mean: number }, pool: readonly number[], ranked: readonly number[], size: number, initBest: number): { picks: number[]; scores: number[] } {
  const L = members[0].length;
  const sum = new Float64Array(L);
  const trial = new Float64Array(L);
  const picks: number[] = [];
  const scores: number[] = [];
  const add = (c: number, s: number) => {
    const m = members[c];
    for (let i = 0; i < L; i++) sum[i] += m[i];
    picks.push(c);
    scores.push(s);
  };
  // The ensemble of the current picks plus candidate c, scored.
  const withCandidate = (c: number) => {
    const m = members[c], k = picks.length + 1;
    for (let i = 0; i < L; i++) trial[i] = (sum[i] + m[i]) / k;
    return score(trial).mean;
  };
  for (let k = 0; k < Math.min(initBest, ranked.length); k++) add(ranked[k], withCandidate(ranked[k]));
  while (picks.length < size) {
    let best = -1, bestScore = Number.NaN;
    for (const c of pool) {
      const s = withCandidate(c);
      if (best < 0 ? !Number.isNaN(s) : better(s, bestScore)) (best = c), (bestScore = s);
    }
    if (best < 0) throw new RangeError(`ensemble selection: every candidate's objective is NaN at pick ${picks.length + 1}`);
    add(best, bestScore);
  }
  return { picks, scores };
}

/** `bags` seeded draws of ⌈fraction · n⌉ distinct candidates each (at least one), each ascending. */
function drawBags(n: number, bags: number, fraction: number, seed: number): number[][] {
  const rng = new Rng(seed, 0x5e1ec7);
  const k = Math.max(1, Math.ceil(fraction * n));
  return Array.from({ length: bags }, () => Array.from(permutation(n, rng).subarray(0, k)).sort((a, b) => a - b));
}

function checkBagging(bags: number, fraction: number, seed: number, n: number, initBest: number): void {
  if (!Number.isInteger(bags) || bags < 1) throw new RangeError(`ensemble selection: bags must be a positive integer, got ${bags}`);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`ensemble selection: bagFraction must be in (0, 1], got ${fraction}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`ensemble selection: bagSeed must be an integer ≥ 0, got ${seed}`);
  if (bags > 1 && initBest > Math.max(1, Math.ceil(fraction * n))) throw new RangeError(`ensemble selection: initBest ${initBest} exceeds the ${Math.max(1, Math.ceil(fraction * n))} candidates a bag draws`);
}

/** One line naming the first bad input, before any scoring. */
function checkInput(valid: readonly ArrayLike<number>[], targets: ValidationTargets, size: number, initBest: number): void {
  const n = valid.length;
  if (n === 0) throw new RangeError('ensemble selection: no candidates');
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`ensemble selection: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(initBest) || initBest < 0 || initBest > Math.min(n, size)) throw new RangeError(`ensemble selection: initBest must be an integer in [0, ${Math.min(n, size)}] (candidates ${n}, size ${size}), got ${initBest}`);
  checkPredictions('ensemble selection', valid, targets);
  const L = targets.rows * targets.tasks;
  if (targets.labels.length !== L || (targets.weights && targets.weights.length !== L)) {
    throw new RangeError(`ensemble selection: ${targets.labels.length} labels${targets.weights ? ` and ${targets.weights.length} weights` : ''} for ${targets.rows} rows × ${targets.tasks} tasks`);
  }
}

/** a beats b: strictly higher, and a defined value beats NaN (so a tie keeps the earlier candidate). */
function better(a: number, b: number): boolean {
  return a > b || (Number.isNaN(b) && !Number.isNaN(a));
}
