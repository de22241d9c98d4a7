/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011, "Algorithms for hyper-parameter optimization") as
 * Optuna 3.1's default TPESampler runs it: the first `nStartupTrials` (10) trials are random; after that the
 * finished trials are split by the objective into the best γ(n) = min(⌈0.1 n⌉, 25) ("good", l) and the rest
 * ("bad", g); for each parameter on its own (univariate) a Parzen estimator is fitted to each group
 * (see parzen.ts), `nEiCandidates` (24) values are drawn from l, and the one with the largest l(x)/g(x) — the
 * expected-improvement maximiser under TPE's model — is taken.
 *
 * Which trials count, and how they rank (Optuna's rule): complete trials with a finite objective rank first, by the
 * objective; pruned trials rank below every complete one — those that trained more epochs first, then by their last
 * intermediate value; a pruned trial without intermediate values ranks last. Running and failed trials are not
 * used, and neither are trials whose parameter lies outside the space. Start-up counts complete and pruned trials.
 * Draws come from `Rng(seed, trialId)`, so the sampler is deterministic for a seed and a history.
 */
import { Rng } from '../../random/rng.ts';
import { checkSpace, type ParamSpec, type TrialParams } from '../space.ts';
import type { TrialRecord } from '../trial.ts';
import { fitCategorical, fitNumeric, logPdf, sampleParzen, type Parzen } from './parzen.ts';
import { randomParams } from './random.ts';
import { inSpace, type SampleRequest, type Sampler } from './sampler.ts';

export interface TpeSamplerOptions {
  seed?: number;
  /** Random trials before TPE starts (Optuna: n_startup_trials = 10). */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per parameter (Optuna: n_ei_candidates = 24). */
  nEiCandidates?: number;
  /** Weight of the prior kernel (Optuna: prior_weight = 1). */
  priorWeight?: number;
  /** Size of the good group for n ranked trials (Optuna: min(⌈0.1 n⌉, 25)). */
  gamma?: (n: number) => number;
}

export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

interface Ranked {
  trial: TrialRecord;
  /** Lexicographic rank key: [group, loss]; smaller is better. */
  key: [number, number];
}

export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  readonly finite = false;
  readonly seed: number;
  readonly nStartupTrials: number;
  readonly nEiCandidates: number;
  readonly priorWeight: number;
  readonly gamma: (n: number) => number;

  constructor(opts: TpeSamplerOptions = {}) {
    this.seed = opts.seed ?? 0;
    this.nStartupTrials = opts.nStartupTrials ?? 10;
    this.nEiCandidates = opts.nEiCandidates ?? 24;
    this.priorWeight = opts.priorWeight ?? 1;
    this.gamma = opts.gamma ?? defaultGamma;
    if (!Number.isInteger(this.seed)) throw new RangeError(`tpe sampler: seed must be an integer, got ${this.seed}`);
    if (!(Number.isInteger(this.nStartupTrials) && this.nStartupTrials >= 0)) throw new RangeError(`tpe sampler: nStartupTrials must be an integer ≥ 0, got ${this.nStartupTrials}`);
    if (!(Number.isInteger(this.nEiCandidates) && this.nEiCandidates >= 1)) throw new RangeError(`tpe sampler: nEiCandidates must be an integer ≥ 1, got ${this.nEiCandidates}`);
    if (!(this.priorWeight > 0)) throw new RangeError(`tpe sampler: priorWeight must be > 0, got ${this.priorWeight}`);
  }

  sample(req: SampleRequest): TrialParams {
    checkSpace(req.space);
    const rng = new Rng(this.seed, req.trialId);
    const ranked = rankTrials(req.history, req.objective.name, req.objective.direction === 'maximize' ? -1 : 1);
    if (ranked.length < this.nStartupTrials) return randomParams(req.space, rng);
    const params: TrialParams = {};
    for (const [name, spec] of Object.entries(req.space)) {
      const usable = ranked.filter((r) => inSpace(req.space, name, r.trial.params[name]));
      const nBelow = Math.min(this.gamma(usable.length), usable.length);
      const byId = (a: Ranked, b: Ranked) => a.trial.id - b.trial.id;
      const below = usable.slice(0, nBelow).sort(byId).map((r) => r.trial.params[name]);
      const above = usable.slice(nBelow).sort(byId).map((r) => r.trial.params[name]);
      params[name] = this.sampleParam(spec, below, above, rng);
    }
    return params;
  }

  private sampleParam(spec: ParamSpec, below: unknown[], above: unknown[], rng: Rng): number | boolean | string {
    let l: Parzen, g: Parzen;
    let toValue: (x: number) => number | boolean | string;
    if (spec.kind === 'choice') {
      const index = (v: unknown) => spec.values.indexOf(v as never);
      l = fitCategorical(below.map(index), spec.values.length, this.priorWeight);
      g = fitCategorical(above.map(index), spec.values.length, this.priorWeight);
      toValue = (x) => spec.values[x];
    } else {
      const log = spec.kind === 'loguniform';
      const discrete = spec.kind === 'int';
      const f = (v: number) => (log ? Math.log(v) : v);
      const low = discrete ? spec.low - 0.5 : f(spec.low);
      const high = discrete ? spec.high + 0.5 : f(spec.high);
      l = fitNumeric((below as number[]).map(f), low, high, discrete, this.priorWeight);
      g = fitNumeric((above as number[]).map(f), low, high, discrete, this.priorWeight);
      toValue = (x) => (discrete ? x : log ? Math.min(Math.max(Math.exp(x), spec.low), spec.high) : x);
    }
    let candidates = sampleParzen(l, this.nEiCandidates, rng);
    if (spec.kind === 'int') candidates = candidates.map((x) => Math.min(Math.max(Math.round(x), spec.low), spec.high));
    let best = candidates[0];
    let bestScore = -Infinity;
    for (const x of candidates) {
      const score = logPdf(l, x) - logPdf(g, x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    return toValue(best);
  }
}

/** Complete and pruned trials, best first by Optuna's rule (see the file's comment); sign turns values into losses. */
export function rankTrials(history: readonly TrialRecord[], objective: string, sign: 1 | -1): Ranked[] {
  const out: Ranked[] = [];
  for (const t of history) {
    if (t.state === 'complete') {
      const v = t.values[objective];
      if (typeof v === 'number' && Number.isFinite(v)) out.push({ trial: t, key: [-Infinity, sign * v] });
    } else if (t.state === 'pruned') {
      const last = t.intermediate[t.intermediate.length - 1];
      if (!last) out.push({ trial: t, key: [Infinity, 0] });
      else out.push({ trial: t, key: [-last.epoch, Number.isFinite(last.value) ? sign * last.value : Infinity] });
    }
  }
  return out.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.trial.id - b.trial.id || 0);
}
