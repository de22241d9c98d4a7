/**
 * Web Worker entry of WebTreePool: the browser twin of src/forest/tree-worker.ts (same requests and replies). Keeps
 * the current fit's training set and grows the trees it is sent by index, posting each tree's arrays back without
 * copying them; a failure is sent back as a reply rather than thrown, so the pool can name the tree.
 */
import { growTree } from '../forest/grow.ts';
import type { ForestParams } from '../forest/options.ts';
import type { TrainingSet } from '../forest/training-set.ts';
import type { PoolRequest } from '../forest/tree-worker.ts';
import type { WebPoolReply } from './web-tree-pool.ts';
import { serializeError } from './worker-errors.ts';

let fit: { id: number; training: TrainingSet; params: ForestParams } | null = null;

self.onmessage = (ev: MessageEvent<PoolRequest>) => {
  const request = ev.data;
  if (request.type === 'train') {
    fit = request;
    return;
  }
  try {
    if (fit?.id !== request.id) throw new Error(`forest worker: asked for a tree of fit ${request.id}, holds fit ${fit?.id}`);
    const tree = growTree(fit.training, fit.params, request.index);
    const buffers = [tree.feature, tree.threshold, tree.left, tree.right, tree.value].map((a) => a.buffer as ArrayBuffer);
    self.postMessage({ id: request.id, index: request.index, tree } satisfies WebPoolReply, { transfer: [...new Set(buffers)] });
  } catch (e) {
    self.postMessage({ id: request.id, index: request.index, error: serializeError(e) } satisfies WebPoolReply);
  }
};
