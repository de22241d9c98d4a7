/**
 * What a pool (or any caller) holds of one worker thread, whatever runs it: Node's worker_threads (node-transport.ts)
 * or a browser's Web Workers (web-transport.ts). Four verbs — post, listen, hear failures, stop — and, in Node,
 * ref/unref so an idle worker does not keep the process alive. Code above this line never names the runtime.
 *
 * `spawnNodeWorker` (node-transport.ts) and `spawnWebWorker` (web-transport.ts) make handles; the worker's side is
 * `workerPort()` (port.ts), or `serveTasks` (serve.ts) for a WorkerPool. A SharedArrayBuffer sent with `post` is
 * shared, not copied, in both runtimes — the way to threads that compute on one array (Atomics to synchronise).
 */

export interface WorkerHandle {
  /** Who this is in messages: "forest worker 2". */
  readonly name: string;
  /** Sends a message; the buffers in `transfer` move to the worker instead of being copied. */
  post(message: unknown, transfer?: Transferable[]): void;
  /** Every message the worker posts. One listener; a later call replaces it. */
  onMessage(listener: (message: unknown) => void): void;
  /** The worker failed: an uncaught error, a script that would not load, or (Node) an exit nobody asked for. */
  onError(listener: (error: Error) => void): void;
  /** Stops the worker; later failures are not reported. */
  terminate(): Promise<void>;
  /** Node: whether a live worker keeps the process alive (the pool holds it only while it has work). No-ops in browsers. */
  ref(): void;
  unref(): void;
}

export interface SpawnOptions {
  /** Used in error messages and, in browsers, as the worker's name in devtools. */
  name: string;
}

/** Starts one worker running the module at `entry`. */
export type SpawnWorker = (entry: URL | string, options: SpawnOptions) => WorkerHandle;
