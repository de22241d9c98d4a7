/**
 * Waiting for Dawn in Node without spinning a core. While any GPU promise is pending (mapAsync,
 * onSubmittedWorkDone), Dawn's Node binding polls its instance from back-to-back `setImmediate` callbacks
 * (AsyncRunner::ScheduleProcessEvents in dawn/src/dawn/node/binding/AsyncRunner.cpp; its TODO cites
 * crbug.com/dawn/1127 on the polling frequency). On a software adapter that busy loop takes a core from the
 * threads that run the kernels: on SwiftShader with 2 cores, waiting quietly made a 1024² matmul 1.5-2× faster.
 *
 * While one of our waits is pending, each poll after the first FAST_POLLS first sleeps SLEEP_MS in Atomics.wait (a
 * futex: the core goes to the kernel threads, not to a spin), so a long wait costs ~5 % of a core instead of 100 %
 * and a short one gains at most SLEEP_MS of latency. Outside our waits nothing is changed, and in a browser (no
 * setImmediate) `quietly` just awaits.
 */
const FAST_POLLS = 16;
const SLEEP_MS = 0.1;

let depth = 0;
let polls = 0;
let realSetImmediate: typeof globalThis.setImmediate | null = null;
/** Made on first use: a browser page without cross-origin isolation has no SharedArrayBuffer at all. */
let sleeper: Int32Array | null = null;

function install(): void {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  const cell = sleeper;
  realSetImmediate = globalThis.setImmediate;
  const real = realSetImmediate;
  const patched = (fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (++polls > FAST_POLLS) Atomics.wait(cell, 0, 0, SLEEP_MS);
    return real(fn, ...args);
  };
  globalThis.setImmediate = patched as typeof globalThis.setImmediate;
}

function uninstall(): void {
  globalThis.setImmediate = realSetImmediate!;
  realSetImmediate = null;
}

/** Awaits `start()` (which begins the GPU wait) with Dawn's polling throttled for as long as it is pending. */
export async function quietly<T>(start: () => Promise<T>): Promise<T> {
  if (typeof globalThis.setImmediate !== 'function' || typeof process === 'undefined' || !process.versions?.node) return start();
  if (depth++ === 0) {
    polls = 0;
    install();
  }
  try {
    return await start();
  } finally {
    if (--depth === 0) uninstall();
  }
}
