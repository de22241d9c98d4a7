/**
 * The Parzen estimators of TPE, one parameter at a time, as Optuna 3.1's `_ParzenEstimator` builds them
 * (univariate, prior on, magic clip on, endpoints off):
 * - numeric: a mixture of normals truncated to [low, high], one centred on each observation plus a prior kernel at
 *   the range's centre with σ = high − low. A kernel's σ is the larger gap to its sorted neighbours (the range's ends
 *   count as neighbours, except that the outermost kernels use their inner gap), clipped to
 *   [(high − low) / min(100, 1 + kernels), high − low]. Log-uniform parameters are fitted in log space; integers
 *   widen the range by ½ on each side and score a value by the mass of [x − ½, x + ½].
 * - categorical: one categorical distribution per observation, its choice counted 1 plus prior_weight / kernels
 *   spread over every choice, plus a uniform prior kernel.
 * Mixture weights are Optuna's `default_weights`: all 1 below 25 observations, else a ramp from 1/n up to 1 for the
 * older ones and 1 for the newest 25 (observations in trial order); the prior kernel weighs `priorWeight`.
 * One deliberate difference: Optuna 3.1's truncated-normal log density leaves out −log σ (its `_truncnorm.logpdf`;
 * later versions fixed it); here densities are exact (checked against scipy.stats.truncnorm in the tests).
 */
import type { Rng } from '../../random/rng.ts';

export interface NumericParzen {
  kind: 'numeric';
  /** Kernel centres and widths, in the fitting space (log for log-uniform), the prior kernel last. */
  mus: number[];
  sigmas: number[];
  /** Normalised mixture weights. */
  weights: number[];
  /** The fitting range (already widened by ½ for integers). */
  low: number;
  high: number;
  /** Integer parameters are scored by the mass of [x − ½, x + ½]. */
  discrete: boolean;
}

export interface CategoricalParzen {
  kind: 'categorical';
  weights: number[];
  /** probs[k][c]: kernel k's probability of choice c. */
  probs: number[][];
}

export type Parzen = NumericParzen | CategoricalParzen;

/** Optuna's `default_weights(n)`. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

function mixtureWeights(nObs: number, priorWeight: number): number[] {
  const w = [...defaultWeights(nObs), priorWeight];
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

/** A numeric estimator from observations already in the fitting space; `low`/`high` likewise. */
export function fitNumeric(obs: readonly number[], low: number, high: number, discrete: boolean, priorWeight: number): NumericParzen {
  const mus = [...obs, 0.5 * (low + high)];
  const n = mus.length;
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
  const sorted = [low, ...order.map((i) => mus[i]), high];
  const sortedSigmas = order.map((_, j) => Math.max(sorted[j + 1] - sorted[j], sorted[j + 2] - sorted[j + 1]));
  if (sorted.length >= 4) {
    // consider_endpoints=False: the outermost kernels ignore their gap to the range's ends.
    sortedSigmas[0] = sorted[2] - sorted[1];
    sortedSigmas[n - 1] = sorted[n] - sorted[n - 1];
  }
  const sigmas = new Array<number>(n);
  order.forEach((i, j) => (sigmas[i] = sortedSigmas[j]));
  const maxSigma = high - low;
  const minSigma = (high - low) / Math.min(100, 1 + n);
  for (let i = 0; i < n; i++) sigmas[i] = Math.min(Math.max(sigmas[i], minSigma), maxSigma);
  sigmas[n - 1] = high - low; // the prior kernel
  return { kind: 'numeric', mus, sigmas, weights: mixtureWeights(obs.length, priorWeight), low, high, discrete };
}

/** A categorical estimator from observed choice indices. */
export function fitCategorical(obs: readonly number[], nChoices: number, priorWeight: number): CategoricalParzen {
  const nKernels = obs.length + 1;
  const probs = Array.from({ length: nKernels }, () => new Array<number>(nChoices).fill(priorWeight / nKernels));
  obs.forEach((c, k) => (probs[k][c] += 1));
  for (const row of probs) {
    const s = row.reduce((a, b) => a + b, 0);
    for (let c = 0; c < nChoices; c++) row[c] /= s;
  }
  return { kind: 'categorical', weights: mixtureWeights(obs.length, priorWeight), probs };
}

function pickKernel(weights: readonly number[], rng: Rng): number {
  let u = rng.float();
  for (let k = 0; k < weights.length - 1; k++) {
    u -= weights[k];
    if (u < 0) return k;
  }
  return weights.length - 1;
}

/** n draws: a kernel by weight, then a value from it (numeric: a truncated normal by rejection; not rounded). */
export function sampleParzen(p: Parzen, n: number, rng: Rng): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = pickKernel(p.weights, rng);
    if (p.kind === 'categorical') out.push(pickKernel(p.probs[k], rng));
    else {
      // Every centre lies in [low, high] and σ ≤ high − low, so a draw lands inside with probability ≥ 0.34.
      let x: number;
      do x = p.mus[k] + p.sigmas[k] * rng.normal();
      while (x < p.low || x > p.high);
      out.push(x);
    }
  }
  return out;
}

/** log density (log mass for categorical and integer estimators) of x, in the fitting space. */
export function logPdf(p: Parzen, x: number): number {
  if (p.kind === 'categorical') return Math.log(p.weights.reduce((s, w, k) => s + w * p.probs[k][x], 0));
  const terms = p.mus.map((mu, k) => {
    const s = p.sigmas[k];
    const logZ = Math.log(normalMass((p.low - mu) / s, (p.high - mu) / s));
    let logK: number;
    if (p.discrete) {
      const mass = normalMass((x - 0.5 - mu) / s, (x + 0.5 - mu) / s);
      logK = mass > 1e-300 ? Math.log(mass) : logNormalPdf((x - mu) / s) - Math.log(s); // far tail: density × width 1
    } else logK = logNormalPdf((x - mu) / s) - Math.log(s);
    return Math.log(p.weights[k]) + logK - logZ;
  });
  const m = Math.max(...terms);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
}

function logNormalPdf(z: number): number {
  return -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
}

/** P(a ≤ Z ≤ b) for a standard normal Z, accurate in either tail. */
export function normalMass(a: number, b: number): number {
  if (a > 0) return 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2)); // upper tail: Q(a) − Q(b)
  if (b < 0) return 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2)); // lower tail: Φ(b) − Φ(a)
  return 1 - 0.5 * erfc(-a / Math.SQRT2) - 0.5 * erfc(b / Math.SQRT2);
}

/** Complementary error function, relative error < 1.2e-7 everywhere (Numerical Recipes' erfcc, Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
