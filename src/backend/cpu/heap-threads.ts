/**
 * A second thread for the float32 CPU path's two largest loops — Adam over a population's arenas and the sparse
 * layer's row gathers (wasm-heap.ts) — where a range is big enough for a split to pay (MIN_SPLIT_GROUPS: the 12-task
 * network's 518k parameters and 1,024 × 500 gathers; the book's network stays on one thread). A helper worker instantiates the
 * same WebAssembly module over the same shared memory and takes the upper half of a range while the caller does
 * the lower half; the two meet on an Atomics word. The split is by elements (Adam) and by output rows (gathers), and
 * every element is computed by the same function with the same arithmetic on either thread, so results do not
 * depend on the thread count. The worker is a few lines of plain JavaScript (no imports), started from a string:
 * in Node through worker_threads, in a browser through a Blob URL, only where SharedArrayBuffer is usable
 * (cross-origin isolated pages); elsewhere `threadSupport` says why and the backend runs on one thread.
 */

export type AdamFn = (p: number, g: number, m: number, v: number, groups: number, b1: number, c1: number, b2: number, c2: number, step: number, inv: number, eps: number) => void;
export type GatherFn = (offsets: number, bases: number, rows: number, groups: number, out: number, bias: number, relu: number, outStride: number) => void;

/**
 * Below this many float32 groups of four (Adam) or group-rows (gathers) a range stays on the caller's thread. A
 * hand-off and join costs ~15-25 µs (Atomics.notify → wake → notify back, measured on a 2-core Linux VM); the
 * book's network (Adam over 51k parameters, 12.8k groups, ~60 µs) gained nothing from a split and lost under load,
 * the 12-task network's (518k parameters, 1,024 × 500 gathers) is 10× larger.
 */
export const MIN_SPLIT_GROUPS = 32768;

/** Control words: i32 [0] job sequence, [1] done sequence, [2] op, [3..13] i32 arguments, [14] jobs done by the helper, [15] ready; f64 [8..15] float arguments. */
const SEQ = 0, DONE = 1, OP = 2, ARGS = 3, COUNT = 14, READY = 15, FARGS = 8;

const WORKER_SOURCE = `
function serve(d) {
  const x = new WebAssembly.Instance(d.module, { env: { mem: d.memory } }).exports;
  const c = new Int32Array(d.ctl), f = new Float64Array(d.ctl);
  Atomics.store(c, ${READY}, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(c, ${SEQ}, seen);
    const s = Atomics.load(c, ${SEQ});
    if (s < 0) return;
    if (s === seen) continue;
    seen = s;
    const a = ${ARGS};
    if (c[${OP}] === 1) x.adam(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], f[${FARGS}], f[${FARGS + 1}], f[${FARGS + 2}], f[${FARGS + 3}], f[${FARGS + 4}], f[${FARGS + 5}], f[${FARGS + 6}]);
    else x.gather(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7]);
    Atomics.add(c, ${COUNT}, 1);
    Atomics.store(c, ${DONE}, s);
    Atomics.notify(c, ${DONE});
  }
}
if (typeof require === 'function' && typeof self === 'undefined') serve(require('node:worker_threads').workerData);
else self.onmessage = (e) => serve(e.data);
`;

/** What an environment offers for a second thread, and why not when it does not. */
export interface ThreadSupport {
  ok: boolean;
  reason: string;
}

/** The facts `threadSupport` decides on (globalThis by default; a test passes its own). */
export interface ThreadEnv {
  SharedArrayBuffer?: unknown;
  Worker?: unknown;
  crossOriginIsolated?: boolean;
  process?: { getBuiltinModule?: unknown; versions?: { node?: string } };
}

/** Whether a helper thread can share the WebAssembly heap here: Node's worker_threads, or a cross-origin isolated page's Worker. */
export function threadSupport(env: ThreadEnv = globalThis as ThreadEnv): ThreadSupport {
  if (typeof env.SharedArrayBuffer !== 'function') return { ok: false, reason: 'SharedArrayBuffer is unavailable (a page must be cross-origin isolated: COOP/COEP headers), so the CPU backend runs on one thread' };
  if (env.process?.versions?.node) {
    return typeof env.process.getBuiltinModule === 'function' ? { ok: true, reason: 'Node worker_threads' } : { ok: false, reason: 'this Node has no process.getBuiltinModule (Node ≥ 20.16), so the CPU backend runs on one thread' };
  }
  if (env.crossOriginIsolated !== true) return { ok: false, reason: 'the page is not cross-origin isolated (COOP/COEP headers), so the CPU backend runs on one thread' };
  if (typeof env.Worker !== 'function') return { ok: false, reason: 'Web Workers are unavailable here, so the CPU backend runs on one thread' };
  return { ok: true, reason: 'Web Workers over shared memory' };
}

interface Stoppable {
  terminate(): unknown;
  unref?(): void;
}

/** A helper worker over the heap's memory (see the file comment). */
export class HeapThreads {
  private readonly c: Int32Array;
  private readonly f: Float64Array;
  private seq = 0;
  private readonly worker: Stoppable;
  /** Atomics.wait is not allowed on a browser's main thread: there the caller spins. */
  private readonly canBlock: boolean;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory) {
    const ctl = new SharedArrayBuffer(128);
    this.c = new Int32Array(ctl);
    this.f = new Float64Array(ctl);
    const data = { module, memory, ctl };
    const node = (globalThis as ThreadEnv).process;
    if (node?.versions?.node) {
      const { Worker } = (node.getBuiltinModule as (id: string) => typeof import('node:worker_threads'))('node:worker_threads');
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
      w.unref();
      this.worker = w;
      this.canBlock = true;
    } else {
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      const w = new Worker(url);
      w.postMessage(data);
      this.worker = w;
      this.canBlock = typeof (globalThis as { document?: unknown }).document === 'undefined';
    }
  }

  /** Whether the helper has started (until then every range runs on the caller's thread, with the same results). */
  get ready(): boolean {
    return Atomics.load(this.c, READY) === 1;
  }

  /** Ranges the helper has computed (for tests: a split really happened). */
  get jobsDone(): number {
    return Atomics.load(this.c, COUNT);
  }

  /** Resolves once the helper runs (or after `ms`, whichever comes first). */
  async whenReady(ms = 10000): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.ready && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    return this.ready;
  }

  /** Adam over `groups` groups of four at byte addresses p, g, m, v: the helper takes the upper half. */
  adam(p: number, g: number, m: number, v: number, groups: number, b1: number, c1: number, b2: number, c2: number, step: number, inv: number, eps: number, run: AdamFn): void {
    if (groups < MIN_SPLIT_GROUPS || !this.ready) return run(p, g, m, v, groups, b1, c1, b2, c2, step, inv, eps);
    const lo = groups >> 1, off = 16 * lo, c = this.c, f = this.f;
    f[FARGS] = b1; f[FARGS + 1] = c1; f[FARGS + 2] = b2; f[FARGS + 3] = c2; f[FARGS + 4] = step; f[FARGS + 5] = inv; f[FARGS + 6] = eps;
    c[ARGS] = p + off; c[ARGS + 1] = g + off; c[ARGS + 2] = m + off; c[ARGS + 3] = v + off; c[ARGS + 4] = groups - lo;
    this.post(1);
    run(p, g, m, v, lo, b1, c1, b2, c2, step, inv, eps);
    this.join();
  }

  /**
   * The gather of wasm-heap.ts over `rows` rows whose offsets and row addresses sit in one scratch at `ints`
   * (offsets index it): the helper takes the upper half of the rows.
   */
  gather(ints: number, rows: number, groups: number, out: number, bias: number, relu: number, stride: number, run: GatherFn): void {
    if (rows * groups < MIN_SPLIT_GROUPS || rows < 2 || !this.ready) return run(ints, ints, rows, groups, out, bias, relu, stride);
    const lo = rows >> 1;
    const c = this.c;
    c[ARGS] = ints + 4 * lo; c[ARGS + 1] = ints; c[ARGS + 2] = rows - lo; c[ARGS + 3] = groups;
    c[ARGS + 4] = out + lo * stride; c[ARGS + 5] = bias; c[ARGS + 6] = relu; c[ARGS + 7] = stride;
    this.post(2);
    run(ints, ints, lo, groups, out, bias, relu, stride);
    this.join();
  }

  /** Starts job `op` on the helper, its arguments already written (element by element: nothing allocated per call). */
  private post(op: number): void {
    this.c[OP] = op;
    Atomics.store(this.c, SEQ, ++this.seq);
    Atomics.notify(this.c, SEQ);
  }

  private join(): void {
    const s = this.seq;
    for (let spin = 0; Atomics.load(this.c, DONE) !== s; spin++) {
      if (this.canBlock && spin > 64) Atomics.wait(this.c, DONE, Atomics.load(this.c, DONE), 100);
    }
  }

  /** Stops the helper. */
  dispose(): void {
    Atomics.store(this.c, SEQ, -1);
    Atomics.notify(this.c, SEQ);
    void this.worker.terminate();
  }
}
