/**
 * Worker threads in Node behind the WorkerHandle of handle.ts. Every worker starts from worker-boot.mjs, plain
 * JavaScript that Node can run without a TypeScript loader: when the entry is .ts (under tsx or vitest) the boot
 * registers tsx inside the new thread first, because Node 20 does not carry `--import tsx` into workers; from a
 * build, the entry is the bundled .js beside the library and the boot (copied to dist/ as worker-boot.mjs) just
 * imports it. Workers start unref'd: only a pool with work in flight keeps the process alive. Node-only.
 *
 * For a caller outside the pools (CPU training on SharedArrayBuffer threads, say):
 *
 *   const w = spawnNodeWorker(new URL('./my-worker.ts', import.meta.url), { name: 'matmul worker 0' });
 *   w.onMessage((m) => …); w.onError((e) => …); w.ref(); w.post({ shared }); … await w.terminate();
 *
 * and in my-worker.ts, `workerPort()` (port.ts) is the other end, the same code in a Web Worker.
 */
import { Worker } from 'node:worker_threads';
import { workerExecArgv } from './exec-argv.ts';
import type { SpawnOptions, WorkerHandle } from './handle.ts';

/** Built, the boot sits beside the bundle that holds this code (dist/); from source, beside this file. */
const BOOT_URL = new URL('./worker-boot.mjs', import.meta.url);

export function spawnNodeWorker(entry: URL | string, options: SpawnOptions): WorkerHandle {
  const href = entry instanceof URL ? entry.href : entry;
  const worker = new Worker(BOOT_URL, { workerData: { entry: href }, execArgv: workerExecArgv(), name: options.name });
  worker.unref();
  let stopping = false;
  let onError: (e: Error) => void = () => {};
  worker.on('error', (e) => {
    if (!stopping) onError(e instanceof Error ? e : new Error(String(e)));
  });
  worker.on('exit', (code) => {
    if (!stopping) onError(new Error(`it exited with code ${code}`));
  });
  return {
    name: options.name,
    post: (message, transfer) => worker.postMessage(message, transfer as never),
    onMessage: (listener) => {
      worker.removeAllListeners('message');
      worker.on('message', listener);
    },
    onError: (listener) => void (onError = listener),
    terminate: async () => {
      stopping = true;
      await worker.terminate();
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}
