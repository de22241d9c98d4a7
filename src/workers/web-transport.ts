/**
 * Web Workers behind the WorkerHandle of handle.ts: module workers, named for devtools. A script that fails to load
 * (a 404, a syntax error) or throws outside a task arrives as an ErrorEvent, which becomes the handle's error with
 * the hint that matters most in practice — the worker file must be served beside the library bundle. Browsers have
 * no ref/unref: an idle worker costs a thread, not a reason to stay open.
 */
import type { SpawnOptions, WorkerHandle } from './handle.ts';

export function spawnWebWorker(entry: URL | string, options: SpawnOptions): WorkerHandle {
  const worker = new Worker(entry, { type: 'module', name: options.name });
  let onError: (e: Error) => void = () => {};
  worker.onerror = (ev: ErrorEvent) => {
    ev.preventDefault();
    const where = String(entry).split('/').pop();
    onError(new Error(ev.message || `its script did not load (is ${where} served beside the library?)`));
  };
  return {
    name: options.name,
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (listener) => void (worker.onmessage = (ev: MessageEvent) => listener(ev.data)),
    onError: (listener) => void (onError = listener),
    terminate: async () => {
      worker.onerror = null;
      worker.terminate();
    },
    ref: () => {},
    unref: () => {},
  };
}
