/**
 * The random forest classifier: bagged CART trees whose class-1 leaf fractions are averaged (sklearn's
 * `RandomForestClassifier.predict_proba`). `fit` grows every tree in the calling thread; forest-pool.ts grows the
 * same trees on worker threads. A model is plain JSON and loads back with identical predictions.
 */
import { featureTable, type FeatureMatrix } from './features.ts';
import { growTree } from './grow.ts';
import { resolveParams, type ForestOptions, type ForestParams } from './options.ts';
import { trainingSet, type TrainingSet } from './training-set.ts';
import { Tree, type TreeJSON } from './tree.ts';

export const FOREST_FORMAT = 'shadergrad/random-forest';

export interface ForestJSON {
  format: typeof FOREST_FORMAT;
  version: 1;
  input: 'binary' | 'dense';
  nFeatures: number;
  params: ForestParams;
  trees: TreeJSON[];
}

/** Everything a tree-growing thread needs, checked once. */
export interface FitPlan {
  training: TrainingSet;
  params: ForestParams;
}

export function planFit(x: FeatureMatrix, y: ArrayLike<number>, options: ForestOptions = {}): FitPlan {
  const training = trainingSet(x, y, options.classWeight ?? null);
  return { training, params: resolveParams(options, training.table.nFeatures) };
}

/**
 * Class 1 where P(y = 1) > 0.5. A tie goes to class 0, as sklearn's argmax does — and ties are common: with pure
 * leaves a 50-tree forest gives exactly 0.5 whenever 25 trees vote each way.
 */
export function classify(proba: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(proba.length);
  for (let i = 0; i < proba.length; i++) out[i] = proba[i] > 0.5 ? 1 : 0;
  return out;
}

export class RandomForest {
  constructor(
    readonly trees: Tree[],
    readonly params: ForestParams,
    readonly nFeatures: number,
    readonly input: 'binary' | 'dense',
  ) {}

  /** Fits in the calling thread. */
  static fit(x: FeatureMatrix, y: ArrayLike<number>, options: ForestOptions = {}): RandomForest {
    const plan = planFit(x, y, options);
    const trees: Tree[] = [];
    for (let i = 0; i < plan.params.nEstimators; i++) trees.push(new Tree(growTree(plan.training, plan.params, i)));
    return RandomForest.fromPlan(plan, trees);
  }

  static fromPlan(plan: FitPlan, trees: Tree[]): RandomForest {
    return new RandomForest(trees, plan.params, plan.training.table.nFeatures, plan.training.table.kind);
  }

  /** P(y = 1) per row: the mean over trees of the weighted class-1 fraction in the row's leaf. */
  predictProba(x: FeatureMatrix): Float64Array {
    const table = featureTable(x);
    if (table.nFeatures !== this.nFeatures) throw new RangeError(`X has ${table.nFeatures} features but the forest was fitted on ${this.nFeatures}`);
    const out = new Float64Array(table.rows);
    for (const tree of this.trees) tree.accumulateProba(table, out);
    for (let i = 0; i < out.length; i++) out[i] /= this.trees.length;
    return out;
  }

  /** The more probable class per row (see `classify`). */
  predict(x: FeatureMatrix): Uint8Array {
    return classify(this.predictProba(x));
  }

  toJSON(): ForestJSON {
    return {
      format: FOREST_FORMAT,
      version: 1,
      input: this.input,
      nFeatures: this.nFeatures,
      params: this.params,
      trees: this.trees.map((t) => t.toJSON()),
    };
  }

  static fromJSON(json: ForestJSON): RandomForest {
    if (json?.format !== FOREST_FORMAT || json.version !== 1) {
      throw new TypeError(`not a ${FOREST_FORMAT} v1 model: format=${JSON.stringify(json?.format)}, version=${JSON.stringify(json?.version)}`);
    }
    if (json.input !== 'binary' && json.input !== 'dense') throw new TypeError(`model input must be 'binary' or 'dense', got ${JSON.stringify(json.input)}`);
    if (!Number.isInteger(json.nFeatures) || json.nFeatures < 1) throw new RangeError(`model nFeatures must be an integer ≥ 1, got ${json.nFeatures}`);
    const params = resolveParams({ ...json.params, maxDepth: json.params?.maxDepth ?? undefined }, json.nFeatures);
    if (!Array.isArray(json.trees) || json.trees.length !== params.nEstimators) {
      throw new RangeError(`model has ${Array.isArray(json.trees) ? json.trees.length : 'no'} trees, but nEstimators is ${params.nEstimators}`);
    }
    const trees = json.trees.map((t, i) => Tree.fromJSON(t, json.nFeatures, `trees[${i}]`));
    return new RandomForest(trees, params, json.nFeatures, json.input);
  }
}
