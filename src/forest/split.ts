/**
 * What the binary and the dense node splitters share, so both choose splits by the same rules as scikit-learn's
 * BestSplitter: the Gini criterion's proxy and the draw of candidate features. Sharing them also means that on 0/1
 * data with integer weights both splitters grow the very same tree, which the tests use to check one against the other.
 */
import type { Rng } from '../random/rng.ts';

export interface Split {
  feature: number;
  /** Samples with value ≤ threshold go left. */
  threshold: number;
  /** samples[start, pos) went left and samples[pos, end) right. */
  pos: number;
}

export interface NodeSplitter {
  /**
   * Finds the best split of samples[start, end) — whose class-0 and class-1 weight sums are w0 and w1 — over
   * randomly drawn features and partitions the samples by it; null when no drawn feature splits the node.
   */
  split(start: number, end: number, w0: number, w1: number, rng: Rng): Split | null;
  /**
   * Told after each split which children will be split in turn (the others are leaves), so a splitter can prepare
   * what it needs for those children only — the binary splitter derives their bit counts from the parent's.
   */
  children(start: number, pos: number, end: number, splitLeft: boolean, splitRight: boolean): void;
}

/**
 * Σ_children Σ_k w_k² / w_child: the weighted Gini impurity decrease up to terms that are the same for every split
 * of a node (sklearn's `proxy_impurity_improvement`), so the split that maximises it is the best Gini split.
 */
export function giniProxy(l0: number, l1: number, r0: number, r1: number): number {
  return (l0 * l0 + l1 * l1) / (l0 + l1) + (r0 * r0 + r1 * r1) / (r0 + r1);
}

/**
 * Draws features without replacement (a Fisher–Yates walk over a permutation kept from node to node). Splitters
 * draw until they have looked at `featuresPerNode` features and found a valid split, or run out of features — as
 * sklearn does, features constant in the node count towards the quota but cannot end the search on their own.
 */
export class FeatureDraw {
  private readonly order: Int32Array;
  private drawn = 0;

  constructor(nFeatures: number) {
    this.order = new Int32Array(nFeatures);
    for (let i = 0; i < nFeatures; i++) this.order[i] = i;
  }

  start(): void {
    this.drawn = 0;
  }

  /** The next random feature of this node, or -1 when all have been drawn. */
  next(rng: Rng): number {
    const n = this.order.length;
    if (this.drawn >= n) return -1;
    const j = this.drawn + rng.int(n - this.drawn);
    const f = this.order[j];
    this.order[j] = this.order[this.drawn];
    this.order[this.drawn++] = f;
    return f;
  }
}
