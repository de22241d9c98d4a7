/**
 * The messages between a WorkerPool (pool.ts) and a worker serving it (serve.ts). A run is one batch of numbered
 * tasks: each worker gets the run's shared setup once (a training set, an RDKit module), then task indices as it
 * frees up. Replies carry the run's id, so a late answer from an abandoned run is recognised and dropped.
 */
import type { SerializedError } from './errors.ts';

export type PoolRequest =
  | { kind: 'setup'; run: number; setup: unknown }
  | { kind: 'task'; run: number; index: number; input: unknown };

export type PoolReply =
  /** Posted once when the entry module has loaded: the worker can take work (until then, it has not started). */
  | { kind: 'ready' }
  | { kind: 'setup-failed'; run: number; error: SerializedError }
  | { kind: 'result'; run: number; index: number; result: unknown }
  | { kind: 'error'; run: number; index: number; error: SerializedError };
