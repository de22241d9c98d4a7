/**
 * One fitted decision tree as flat arrays (node i: split feature, threshold, children, class-1 fraction), the shape
 * sklearn's `Tree` uses: compact to post between threads, quick to walk, and a direct JSON form.
 * A sample goes left when its feature value is ≤ threshold; binary trees split at 0.5, so "bit not set" is left.
 */
import type { FeatureTable } from './features.ts';

export interface TreeArrays {
  /** Split feature, or -1 at a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Weighted fraction of class 1 among the node's training samples (sklearn's normalised `value`). */
  value: Float64Array;
}

export interface TreeJSON {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export class Tree {
  constructor(readonly nodes: TreeArrays) {}

  get nodeCount(): number {
    return this.nodes.feature.length;
  }

  /** Adds this tree's class-1 probability for every row of `table` into `out`. */
  accumulateProba(table: FeatureTable, out: Float64Array): void {
    const { feature, threshold, left, right, value } = this.nodes;
    if (table.kind === 'binary') {
      const { words, wordsPerRow } = table;
      for (let r = 0; r < table.rows; r++) {
        const base = r * wordsPerRow;
        let n = 0;
        // A bit is the value 0 or 1, compared with the threshold like any feature (0.5 for trees grown on bits).
        for (let f = feature[0]; f >= 0; f = feature[n]) n = ((words[base + (f >>> 5)] >>> (f & 31)) & 1) <= threshold[n] ? left[n] : right[n];
        out[r] += value[n];
      }
    } else {
      const { values, nFeatures } = table;
      for (let r = 0; r < table.rows; r++) {
        const base = r * nFeatures;
        let n = 0;
        for (let f = feature[0]; f >= 0; f = feature[n]) n = values[base + f] <= threshold[n] ? left[n] : right[n];
        out[r] += value[n];
      }
    }
  }

  toJSON(): TreeJSON {
    const { feature, threshold, left, right, value } = this.nodes;
    return { feature: [...feature], threshold: [...threshold], left: [...left], right: [...right], value: [...value] };
  }

  /** Rebuilds a tree, checking that every node's children and feature exist so a walk cannot run off the arrays. */
  static fromJSON(json: TreeJSON, nFeatures: number, where = 'tree'): Tree {
    const keys = ['feature', 'threshold', 'left', 'right', 'value'] as const;
    for (const k of keys) if (!Array.isArray(json?.[k])) throw new TypeError(`${where}.${k} must be an array`);
    const n = json.feature.length;
    if (n === 0) throw new RangeError(`${where} has no nodes`);
    for (const k of keys) if (json[k].length !== n) throw new RangeError(`${where}.${k} has ${json[k].length} entries, expected ${n} (one per node)`);
    const nodes: TreeArrays = {
      feature: Int32Array.from(json.feature),
      threshold: Float64Array.from(json.threshold),
      left: Int32Array.from(json.left),
      right: Int32Array.from(json.right),
      value: Float64Array.from(json.value),
    };
    for (let i = 0; i < n; i++) {
      const v = nodes.value[i];
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${where} node ${i} has class-1 fraction ${json.value[i]}, outside [0, 1]`);
      const f = nodes.feature[i];
      if (f === -1) continue;
      if (!Number.isFinite(nodes.threshold[i])) throw new RangeError(`${where} node ${i} has threshold ${json.threshold[i]}; thresholds must be finite`);
      if (f < 0 || f >= nFeatures) throw new RangeError(`${where} node ${i} splits on feature ${f}, outside [0, ${nFeatures})`);
      // Children come after their parent (depth-first growth), which also rules out cycles.
      for (const c of [nodes.left[i], nodes.right[i]]) if (!(c > i && c < n)) throw new RangeError(`${where} node ${i} has child ${c}, outside (${i}, ${n})`);
    }
    return new Tree(nodes);
  }
}
