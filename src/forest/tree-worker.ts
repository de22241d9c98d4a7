/**
 * A Node worker thread of a TreePool: keeps the training set of the current fit and grows the trees it is sent by
 * index, posting each tree's arrays back without copying them.
 */
import { parentPort } from 'node:worker_threads';
import { growTree } from './grow.ts';
import type { ForestParams } from './options.ts';
import type { TrainingSet } from './training-set.ts';
import type { TreeArrays } from './tree.ts';

export type PoolRequest =
  | { type: 'train'; id: number; training: TrainingSet; params: ForestParams }
  | { type: 'grow'; id: number; index: number };

export type PoolReply = { id: number; index: number; tree: TreeArrays };

let fit: { id: number; training: TrainingSet; params: ForestParams } | null = null;
const port = parentPort!;
port.on('message', (request: PoolRequest) => {
  if (request.type === 'train') {
    fit = request;
    return;
  }
  if (fit?.id !== request.id) throw new Error(`forest worker: asked for a tree of fit ${request.id}, holds fit ${fit?.id}`);
  const tree = growTree(fit.training, fit.params, request.index);
  const buffers = [tree.feature, tree.threshold, tree.left, tree.right, tree.value].map((a) => a.buffer as ArrayBuffer);
  port.postMessage({ id: request.id, index: request.index, tree } satisfies PoolReply, buffers);
});
