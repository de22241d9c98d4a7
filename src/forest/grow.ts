/**
 * Grows one tree of the forest: bootstrap the rows, weight them by class, then split depth-first until nodes are
 * pure, too small or too deep (sklearn's DepthFirstTreeBuilder rules). This is the core every thread runs — the
 * main thread, a Node worker or a Web Worker — so it imports nothing from node:*. A tree depends only on the
 * training set, the parameters and its index, which seeds its random stream.
 */
import type { ForestParams } from './options.ts';
import { Rng } from '../random/rng.ts';
import { BinarySplitter } from './split-binary.ts';
import { DenseSplitter } from './split-dense.ts';
import type { NodeSplitter } from './split.ts';
import type { TrainingSet } from './training-set.ts';
import type { TreeArrays } from './tree.ts';

export function growTree(ts: TrainingSet, params: ForestParams, treeIndex: number): TreeArrays {
  const rng = new Rng(params.seed, treeIndex);
  const { table, y, classWeight } = ts;
  const n = table.rows;

  // Bootstrap counts become sample weights (sklearn's forest does the same); rows drawn zero times leave the tree.
  const weight = new Float64Array(n);
  if (params.bootstrap) for (let i = 0; i < n; i++) weight[rng.int(n)] += 1;
  else weight.fill(1);
  const samples = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (weight[i] === 0) continue;
    weight[i] *= classWeight[y[i]];
    samples[m++] = i;
  }

  const splitter: NodeSplitter =
    table.kind === 'binary'
      ? new BinarySplitter(table, y, samples, weight, params.featuresPerNode, params.minSamplesLeaf)
      : new DenseSplitter(table, y, samples, weight, params.featuresPerNode, params.minSamplesLeaf);
  const maxDepth = params.maxDepth ?? Infinity;
  const { minSamplesSplit, minSamplesLeaf } = params;

  // Class weights of samples[start, end), and whether that node may be split: set when a node is created, so the
  // splitter learns at each split which children it must prepare for.
  let w0 = 0;
  let w1 = 0;
  const assess = (start: number, end: number, depth: number): boolean => {
    w0 = 0;
    w1 = 0;
    let n1 = 0;
    for (let i = start; i < end; i++) {
      const s = samples[i];
      if (y[s] === 1) {
        w1 += weight[s];
        n1++;
      } else w0 += weight[s];
    }
    const count = end - start;
    // Purity is judged on counts, not weight sums, so rounding cannot keep splitting a one-class node (sklearn's
    // `impurity <= EPSILON` test does, on about 70 pure nodes per Tox21 tree — splits that change no prediction).
    return !(depth >= maxDepth || count < minSamplesSplit || count < 2 * minSamplesLeaf || n1 === 0 || n1 === count);
  };

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  // Pending nodes, 8 numbers each: start, end, depth, parent id, 0/1 for the parent's left/right slot, class-0 and
  // class-1 weight, 1 if the node may be split.
  const stack: number[] = [];
  const push = (start: number, end: number, depth: number, parent: number, side: number, splittable: boolean) =>
    stack.push(start, end, depth, parent, side, w0, w1, splittable ? 1 : 0);
  push(0, m, 0, -1, 0, assess(0, m, 0));
  while (stack.length > 0) {
    const splittable = stack.pop()!;
    const nodeW1 = stack.pop()!;
    const nodeW0 = stack.pop()!;
    const side = stack.pop()!;
    const parent = stack.pop()!;
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const id = feature.length;
    if (parent >= 0) (side === 0 ? left : right)[parent] = id;

    const split = splittable ? splitter.split(start, end, nodeW0, nodeW1, rng) : null;
    feature.push(split ? split.feature : -1);
    threshold.push(split ? split.threshold : 0);
    left.push(-1);
    right.push(-1);
    value.push(nodeW1 / (nodeW0 + nodeW1));
    if (split) {
      const { pos } = split;
      const splitRight = assess(pos, end, depth + 1);
      const [rightW0, rightW1] = [w0, w1];
      const splitLeft = assess(start, pos, depth + 1);
      splitter.children(start, pos, end, splitLeft, splitRight);
      // Right pushed first so the left child is grown next and gets id + 1, as in sklearn.
      stack.push(pos, end, depth + 1, id, 1, rightW0, rightW1, splitRight ? 1 : 0);
      push(start, pos, depth + 1, id, 0, splitLeft);
    }
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
  };
}
