/**
 * The forest's hyperparameters, with scikit-learn's names and defaults where they exist, and the one place that
 * checks them: every error names the parameter and the value it got, before any tree is grown.
 */

export interface ForestOptions {
  /** Number of trees (sklearn `n_estimators`, default 100). */
  nEstimators?: number;
  /**
   * Features drawn at each node: 'sqrt' (default) or 'log2' of the feature count, an integer count ≥ 1, or a
   * fraction in (0, 1) of the feature count (sklearn's int/float distinction; 1 means one feature).
   */
  maxFeatures?: 'sqrt' | 'log2' | number;
  /** Maximum depth (root = 0); undefined grows until leaves are pure or too small to split. */
  maxDepth?: number;
  /** A node with fewer distinct samples than this becomes a leaf (default 2). */
  minSamplesSplit?: number;
  /** A split must leave at least this many distinct samples on each side (default 1). */
  minSamplesLeaf?: number;
  /** 'balanced': class c weighs n / (2 · count_c) over the training labels, times the bootstrap counts. */
  classWeight?: 'balanced' | null;
  /** Draw each tree's training set with replacement (default true). */
  bootstrap?: boolean;
  /** Integer in [0, 2^32); tree i draws from the stream (seed, i). */
  seed?: number;
}

/** Options after validation against the data, as stored with a model. */
export interface ForestParams {
  nEstimators: number;
  maxFeatures: 'sqrt' | 'log2' | number;
  /** Resolved count of features drawn per node. */
  featuresPerNode: number;
  /** null: unlimited (JSON has no Infinity). */
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  classWeight: 'balanced' | null;
  bootstrap: boolean;
  seed: number;
}

export function resolveParams(options: ForestOptions, nFeatures: number): ForestParams {
  const o = options;
  const nEstimators = o.nEstimators ?? 100;
  if (!Number.isInteger(nEstimators) || nEstimators < 1) throw new RangeError(`nEstimators must be an integer ≥ 1, got ${nEstimators}`);
  const maxFeatures = o.maxFeatures ?? 'sqrt';
  const maxDepth = o.maxDepth ?? null;
  if (maxDepth !== null && (!Number.isInteger(maxDepth) || maxDepth < 0)) throw new RangeError(`maxDepth must be an integer ≥ 0, got ${maxDepth}`);
  const minSamplesSplit = o.minSamplesSplit ?? 2;
  if (!Number.isInteger(minSamplesSplit) || minSamplesSplit < 2) throw new RangeError(`minSamplesSplit must be an integer ≥ 2, got ${minSamplesSplit}`);
  const minSamplesLeaf = o.minSamplesLeaf ?? 1;
  if (!Number.isInteger(minSamplesLeaf) || minSamplesLeaf < 1) throw new RangeError(`minSamplesLeaf must be an integer ≥ 1, got ${minSamplesLeaf}`);
  const classWeight = o.classWeight ?? null;
  if (classWeight !== null && classWeight !== 'balanced') throw new RangeError(`classWeight must be 'balanced' or null, got ${JSON.stringify(classWeight)}`);
  const bootstrap = o.bootstrap ?? true;
  if (typeof bootstrap !== 'boolean') throw new RangeError(`bootstrap must be true or false, got ${JSON.stringify(bootstrap)}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  return {
    nEstimators,
    maxFeatures,
    featuresPerNode: featuresPerNode(maxFeatures, nFeatures),
    maxDepth,
    minSamplesSplit,
    minSamplesLeaf,
    classWeight,
    bootstrap,
    seed,
  };
}

/** sklearn's `max_features` rule: int(sqrt(n)), int(log2(n)), the count itself, or int(fraction · n), at least 1. */
export function featuresPerNode(maxFeatures: 'sqrt' | 'log2' | number, nFeatures: number): number {
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (maxFeatures === 'log2') return Math.max(1, Math.floor(Math.log2(nFeatures)));
  const range = `'sqrt', 'log2', an integer in [1, ${nFeatures}] or a fraction in (0, 1)`;
  if (typeof maxFeatures !== 'number' || !Number.isFinite(maxFeatures)) {
    throw new RangeError(`maxFeatures must be ${range}, got ${JSON.stringify(maxFeatures)}`);
  }
  if (Number.isInteger(maxFeatures)) {
    if (maxFeatures < 1 || maxFeatures > nFeatures) {
      throw new RangeError(`maxFeatures must be ${range}, got ${maxFeatures} with ${nFeatures} features`);
    }
    return maxFeatures;
  }
  if (maxFeatures <= 0 || maxFeatures >= 1) throw new RangeError(`maxFeatures must be ${range}, got ${maxFeatures}`);
  return Math.max(1, Math.floor(maxFeatures * nFeatures));
}
