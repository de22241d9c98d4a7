/**
 * Peer: TensorFlow.js's WebGPU backend (@tensorflow/tfjs-backend-webgpu) on the same Dawn and the same adapter, in
 * this process — its matmul on every shape we time, and the book network's training step written as tfjs users
 * would (tf.variable, tf.train.adam, tf.losses.sigmoidCrossEntropy with SUM). Its waits go through the same quiet
 * polling as ours (src/gpu/quiet-wait.ts), so the comparison is of kernels and per-op overhead, not of how Node
 * spins while waiting. Node-only: it makes its own Dawn instance. tfjs is an optional peer of the package (and esbuild,
 * which bundles tfjs-core's gradients for Node): when one is not installed the peer is reported as not measured, with
 * the command's missing packages named, instead of failing.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { selectRows, toDense } from '../../data/sparse-bits.ts';
import { quietly } from '../../gpu/quiet-wait.ts';
import { minibatches } from '../../train/minibatches.ts';
import type { MatmulContender } from '../matmul.ts';
import type { BenchResult, PeerStatus } from '../result.ts';
import { spread } from '../timing.ts';
import { BOOK_NET, STEP_SHAPE, STEPS_PER_EPOCH, bookData } from '../train-step.ts';

export interface TfjsPeer {
  status: PeerStatus;
  matmul: MatmulContender | null;
  trainStep: ((opts: { steps?: number; rounds?: number }) => Promise<BenchResult>) | null;
}

interface WebGpuBackendLike {
  device: GPUDevice;
  /** tfjs's open command encoder; null once it submitted (after every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches). */
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Held for the process: Dawn crashes if a live instance's JS object is collected (see src/gpu/device.ts). */
const keep: unknown[] = [];

/**
 * tfjs-core's Node build registers no gradients (the @tensorflow/tfjs bundle imports them), and its ES module files
 * use directory imports Node cannot load. esbuild bundles them; tfjs keeps its registries and engine on a global
 * object, so the bundle's copy registers into the same engine the Node build uses.
 */
async function registerGradients(): Promise<void> {
  const esbuild = await import('esbuild');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { pathToFileURL } = await import('node:url');
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const built = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'silent' });
  if (built.outputFiles[0].text === '') {
    // Inside a bundle (scripts/gpu-run.sh, ../shared/gpu/pack.sh) esbuild is a stub that builds nothing, and the
    // stub's own import of the gradients resolves to pack.sh's placeholder tfjs-core in .gpu/node_modules, so tfjs
    // would train with no gradients ("gradient function not found for Sum"). This import is bundled from the real
    // package when the bundle is made; outside a bundle it is never reached (Node cannot load that file directly).
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shadergrad-tfjs-'));
  try {
    const file = join(dir, 'register-gradients.mjs');
    writeFileSync(file, built.outputFiles[0].text);
    await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TFJS_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'];

/**
 * Why the peer cannot be measured here ("not measured: install …", naming every missing package), or null when its
 * packages resolve from this file — in a user's project, from their node_modules.
 */
export function missingTfjsNote(resolvable: (pkg: string) => boolean = resolvesFromHere): string | null {
  const esbuild = resolvable('esbuild') ? '' : "esbuild, which bundles tfjs-core's gradients for Node";
  if (TFJS_PACKAGES.some((p) => !resolvable(p))) return `not measured: install ${TFJS_PACKAGES.join(' and ')}${esbuild && ` (and ${esbuild})`}`;
  return esbuild ? `not measured: install ${esbuild}` : null;
}

function resolvesFromHere(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

export async function loadTfjsWebgpu(): Promise<TfjsPeer> {
  const impl = 'tfjs-webgpu';
  let tf: typeof TF;
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    keep.push(gpu);
    const hadNavigator = 'navigator' in globalThis;
    // tfjs-backend-webgpu finds WebGPU as navigator.gpu, and only while it initializes.
    if (!hadNavigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `node ${process.version}` }, configurable: true });
    try {
      tf = await import('@tensorflow/tfjs-core');
      await registerGradients();
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
      await tf.ready();
    } finally {
      // Our own device code reads `navigator` to tell a browser from Node.
      if (!hadNavigator) delete (globalThis as { navigator?: unknown }).navigator;
    }
  } catch (e) {
    // Asked only after a failure: inside a bundle (scripts/gpu-run.sh) tfjs is bundled and its packages resolve from
    // nowhere, so a check before importing would report a peer that runs fine as not installed.
    return { status: { impl, available: false, note: missingTfjsNote() ?? `could not start: ${(e as Error).message}` }, matmul: null, trainStep: null };
  }
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const info = (backend.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const wait = async () => {
    // What tfjs itself does before a read: close the open pass, submit everything recorded. Only when something is
    // recorded: tfjs submits by itself every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches (and drops its encoder),
    // and its submitQueue() calls finish() on that null encoder — the TypeError "Cannot read properties of null
    // (reading 'finish')" seen on an H200, where the batch size made the last matmul of a timing submit by itself.
    if (backend.commandEncoder) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    await quietly(() => backend.device.queue.onSubmittedWorkDone());
  };
  return {
    status: { impl, available: true, version: tf.version_core, note: `tfjs-core ${tf.version_core} + backend-webgpu on ${info ? `${info.vendor} ${info.architecture}`.trim() : 'its adapter'} (Dawn, this process)` },
    matmul: {
      impl,
      async prepare(c) {
        const a = tf.randomNormal(c.transA ? [c.k, c.m] : [c.m, c.k]);
        const b = tf.randomNormal(c.transB ? [c.n, c.k] : [c.k, c.n]);
        return {
          async run(reps) {
            for (let r = 0; r < reps; r++) tf.matMul(a, b, c.transA, c.transB).dispose();
            await wait();
          },
          async runReadback() {
            const out = tf.matMul(a, b, c.transA, c.transB);
            await quietly(() => out.data());
            out.dispose();
          },
          dispose() {
            a.dispose();
            b.dispose();
          },
        };
      },
    },
    async trainStep({ steps = 10, rounds = 3 }) {
      const data = bookData();
      const { bits: nBits, hidden } = BOOK_NET;
      const W1 = tf.variable(tf.randomNormal([nBits, hidden])), b1 = tf.variable(tf.randomNormal([hidden]));
      const W2 = tf.variable(tf.randomNormal([hidden, 1])), b2 = tf.variable(tf.randomNormal([1]));
      const opt = tf.train.adam(0.001);
      const batches = minibatches(BOOK_NET.rows, BOOK_NET.batch);
      let next = 0;
      const step = () => {
        const idx = batches[next++ % batches.length];
        tf.tidy(() => {
          const x = tf.tensor2d(toDense(selectRows(data.bits, idx)), [idx.length, nBits]);
          const y = tf.tensor2d(Float32Array.from(idx, (r) => data.y[r]), [idx.length, 1]);
          const w = tf.tensor2d(Float32Array.from(idx, (r) => data.w[r]), [idx.length, 1]);
          opt.minimize(() => {
            const h = tf.dropout(tf.relu(tf.add(tf.matMul(x, W1), b1)), 1 - BOOK_NET.keep);
            const logits = tf.add(tf.matMul(h, W2), b2);
            return tf.losses.sigmoidCrossEntropy(y, logits, w, 0, tf.Reduction.SUM) as TF.Scalar;
          });
        });
      };
      // Warm-up: shaders compile on first use.
      for (let i = 0; i < 3; i++) step();
      await wait();
      const ms: number[] = [], rb: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let t0 = performance.now();
        for (let i = 0; i < steps; i++) step();
        await wait();
        ms.push((performance.now() - t0) / steps);
        t0 = performance.now();
        for (let i = 0; i < steps; i++) step();
        await quietly(() => W2.data());
        rb.push((performance.now() - t0) / steps);
      }
      for (const v of [W1, b1, W2, b2]) v.dispose();
      opt.dispose();
      const t = spread(ms), r = spread(rb);
      return {
        kernel: 'train-step', shape: STEP_SHAPE, impl, backend: 'webgpu', threads: null, msPerStep: t.median, ms: { median: t.median, min: t.min, max: t.max },
        readbackMs: { median: r.median, min: r.min, max: r.max }, runs: t.runs,
        note: `dense first layer (tfjs has no sparse matmul for this); ${steps} steps per timing, epoch of ${STEPS_PER_EPOCH} steps ≈ ${(t.median * STEPS_PER_EPOCH / 1000).toFixed(1)} s; readbackMs reads W2 at the end`,
      };
    },
  };
}
