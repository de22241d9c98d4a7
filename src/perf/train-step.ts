/**
 * The book's network, one training step at a time: batch 100 of 1,024 fingerprint bits → 50 ReLU units → dropout
 * (keep 0.5) → 1 logit, weighted sigmoid cross-entropy summed over the batch, Adam — trained by the library's one
 * training loop (src/train/fit.ts, as the study trains), M models at once (M = 1 here; the population group varies
 * M). Timed per epoch of 6,264 rows (63 steps, the losses read back once at its end) on synthetic ECFP-like data
 * (3 % of bits set), with the first layer dense (`linear` on 0/1 floats) and sparse (`sparseLinear` on set-bit
 * rows), on WebGPU (here SwiftShader) and on the CPU backend's float32 path. Also counts the dispatches and submits
 * a WebGPU step records. The 12-task network (1,024 → 500 ReLU → 12, batch 50) is timed the same way
 * (benchTrainStep12). No Node-only imports.
 */
import { BitRows } from '../autograd/sparse-linear.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { Backend } from '../backend/backend.ts';
import { CpuBackend } from '../backend/cpu/cpu-backend.ts';
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { selectRows, toDense, type SparseBits } from '../data/sparse-bits.ts';
import { PopulationMlp } from '../nn/population-mlp.ts';
import { ModelOptimizer } from '../optim/model-optimizer.ts';
import { Rng } from '../random/rng.ts';
import { PopulationTrainer } from '../train/fit.ts';
import type { BenchResult } from './result.ts';
import { spread } from './timing.ts';

/** A benchmarked network: rows of `bits` fingerprint bits → `hidden` ReLU → dropout → `outputs` logits. */
export interface NetSpec {
  rows: number;
  bits: number;
  hidden: number;
  outputs: number;
  batch: number;
  keep: number;
  density: number;
}

export const BOOK_NET: NetSpec = { rows: 6264, bits: 1024, hidden: 50, outputs: 1, batch: 100, keep: 0.5, density: 0.03 };
/** The multitask network of `tox21 fcn --task all --hidden 500` at batch 50. */
export const TASK12_NET: NetSpec = { ...BOOK_NET, hidden: 500, outputs: 12, batch: 50 };
export const STEPS_PER_EPOCH = stepsPerEpoch(BOOK_NET);
export const STEP_SHAPE = stepShape(BOOK_NET);

export function stepsPerEpoch(net: NetSpec): number {
  return Math.ceil(net.rows / net.batch);
}

export function stepShape(net: NetSpec): string {
  return `batch ${net.batch}, ${net.bits}→${net.hidden}→${net.outputs}`;
}

export type NetData = { bits: SparseBits; y: Float32Array; w: Float32Array };

/**
 * Synthetic training set shaped like Tox21's: bits at ~3 %, ~4 % positives per task weighted to balance the classes.
 * Labels and weights are [rows, outputs].
 */
export function bookData(seed = 1, net: NetSpec = BOOK_NET): NetData {
  const rng = new Rng(seed);
  const { rows, bits: nBits, density, outputs } = net;
  const offsets = new Uint32Array(rows + 1);
  const idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nBits; b++) if (rng.float() < density) idx.push(b);
    offsets[r + 1] = idx.length;
  }
  const y = Float32Array.from({ length: rows * outputs }, () => (rng.float() < 0.04 ? 1 : 0));
  const w = new Float32Array(rows * outputs);
  for (let k = 0; k < outputs; k++) {
    let pos = 0;
    for (let r = 0; r < rows; r++) pos += y[r * outputs + k];
    for (let r = 0; r < rows; r++) w[r * outputs + k] = y[r * outputs + k] ? (rows - pos) / pos : 1;
  }
  return { bits: { nBits, offsets, indices: Uint16Array.from(idx) }, y, w };
}

export interface StepCounts {
  dispatches: number;
  submits: number;
}

export interface StepBench {
  results: BenchResult[];
  counts: Record<'dense' | 'sparse', StepCounts>;
}

/** The WebGPU runtime's counters, when `be` is a WebGPU backend. */
function counters(be: Backend): { dispatches: number; submits: number } | null {
  const rt = (be as Partial<WebGpuBackend>).rt;
  return be.kind === 'webgpu' && rt ? { ...rt.counters } : null;
}

/**
 * Times epochs of `trainer` after `warmup` epochs (pipelines compiled or code optimized, buffers pooled, a fixed
 * order's batches uploaded): on WebGPU the first timed epoch also counts a step's dispatches and submits (zeros on
 * the CPU); more follow while fewer than `epochs` ran and `maxSeconds` allow.
 */
export async function timeEpochs(be: Backend, trainer: BookPopulation, opts: { epochs?: number; maxSeconds?: number; warmup?: number } = {}): Promise<{ perStep: ReturnType<typeof spread>; counts: StepCounts }> {
  for (let w = 0; w < (opts.warmup ?? 1); w++) await trainer.epoch();
  const steps = stepsPerEpoch(trainer.net);
  const times: number[] = [];
  const start = performance.now();
  const c0 = counters(be);
  let counts: StepCounts | null = null;
  while (times.length < (opts.epochs ?? 3) && (times.length < 1 || performance.now() - start < (opts.maxSeconds ?? 20) * 1000)) {
    const t0 = performance.now();
    await trainer.epoch();
    times.push((performance.now() - t0) / steps);
    const c1 = counters(be);
    counts ??= c0 && c1 ? { dispatches: (c1.dispatches - c0.dispatches) / steps, submits: (c1.submits - c0.submits) / steps } : { dispatches: 0, submits: 0 };
  }
  return { perStep: spread(times), counts: counts! };
}

/**
 * Trains the book network for `epochs` timed epochs (after two warm-up epochs; on SwiftShader the first epochs ran up
 * to 1.5× slower than later ones) with each first-layer variant, the sparse one (the study's) first.
 */
export async function benchTrainStep(g: WebGpuBackend, opts: { epochs?: number; maxSeconds?: number } = {}): Promise<StepBench> {
  const data = bookData();
  const results: BenchResult[] = [];
  const counts = {} as StepBench['counts'];
  for (const variant of ['sparse', 'dense'] as const) {
    const trainer = bookPopulation(g, data, 1, variant === 'sparse');
    const { perStep: t, counts: c } = await timeEpochs(g, trainer, { epochs: 5, warmup: 2, ...opts });
    counts[variant] = c;
    trainer.dispose();
    results.push({
      kernel: 'train-step', shape: STEP_SHAPE, impl: variant === 'sparse' ? 'shadergrad' : 'shadergrad:dense', backend: 'webgpu', threads: null,
      msPerStep: t.median, ms: { median: t.median, min: t.min, max: t.max }, runs: t.runs,
      note: `${variant} first layer on ${adapterLabel(g)}; epoch of ${STEPS_PER_EPOCH} steps timed whole (losses read back once) = ${(t.median * STEPS_PER_EPOCH / 1000).toFixed(3)} s; ` +
        `${c.dispatches.toFixed(2)} dispatches and ${c.submits.toFixed(2)} submits per step`,
    });
  }
  results.push(...(await cpuRows(BOOK_NET, 'train-step', opts)));
  return { results, counts };
}

function adapterLabel(g: WebGpuBackend): string {
  return g.info.software ? `${g.info.description || g.info.device || 'a software adapter'} (software)` : g.info.description || g.info.device || g.info.vendor;
}

/**
 * One row: the network's step on the CPU backend's float32 path (sparse first layer) on `threads` threads (1 by
 * default; 2 adds the helper thread of heap-threads.ts; the row's `threads` is what the backend really used).
 */
export async function benchCpuStep(net: NetSpec, kernel: string, opts: { epochs?: number; maxSeconds?: number; warmup?: number; threads?: number } = {}): Promise<BenchResult> {
  const cpu = new CpuBackend('f32', { threads: opts.threads ?? 1 });
  await cpu.threadsReady();
  const trainer = bookPopulation(cpu, bookData(1, net), 1, true, net);
  const { perStep: t } = await timeEpochs(cpu, trainer, { epochs: 5, warmup: 2, ...opts });
  trainer.dispose();
  cpu.dispose();
  const steps = stepsPerEpoch(net);
  return {
    kernel, shape: stepShape(net), impl: 'shadergrad', backend: 'cpu', threads: cpu.threads,
    msPerStep: t.median, ms: { median: t.median, min: t.min, max: t.max }, runs: t.runs,
    note: `CPU backend, float32 fast path, ${cpu.threadNote}${cpu.threads > 1 ? ` (${cpu.helperJobs} ranges ran on the helper thread)` : ''}; sparse first layer; epoch of ${steps} steps timed whole = ${(t.median * steps / 1000).toFixed(3)} s`,
  };
}

/** The CPU path's rows of a network: 1 thread, then 2 (where a helper thread can run here). */
async function cpuRows(net: NetSpec, kernel: string, opts: { epochs?: number; maxSeconds?: number }): Promise<BenchResult[]> {
  const rows = [await benchCpuStep(net, kernel, opts)];
  const two = await benchCpuStep(net, kernel, { ...opts, threads: 2 });
  if (two.threads === 2) rows.push(two);
  return rows;
}

/** The 12-task network's step: WebGPU (sparse first layer) and the CPU path (1 and 2 threads). */
export async function benchTrainStep12(g: WebGpuBackend, opts: { epochs?: number; maxSeconds?: number } = {}): Promise<BenchResult[]> {
  const net = TASK12_NET, steps = stepsPerEpoch(net);
  const trainer = bookPopulation(g, bookData(1, net), 1, true, net);
  const { perStep: t, counts: c } = await timeEpochs(g, trainer, { epochs: 3, warmup: 1, maxSeconds: 30, ...opts });
  trainer.dispose();
  const gpuRow: BenchResult = {
    kernel: 'train-step-12task', shape: stepShape(net), impl: 'shadergrad', backend: 'webgpu', threads: null,
    msPerStep: t.median, ms: { median: t.median, min: t.min, max: t.max }, runs: t.runs,
    note: `sparse first layer on ${adapterLabel(g)}; epoch of ${steps} steps timed whole = ${(t.median * steps / 1000).toFixed(3)} s; ${c.dispatches.toFixed(2)} dispatches per step`,
  };
  return [gpuRow, ...(await cpuRows(net, 'train-step-12task', opts))];
}

export interface BookPopulation {
  readonly models: number;
  readonly net: NetSpec;
  epoch(): Promise<Float64Array>;
  /** Every parameter tensor's values, in the network's order (for identity checks). */
  parameters(): Promise<(Float32Array | Float64Array)[]>;
  dispose(): void;
}

/**
 * The book network (or `spec`) for `models` copies (seeds 7, 8, …) on any backend, trained by the library's training
 * loop, one epoch per call.
 */
export function bookPopulation(g: Backend, data: NetData, models: number, sparse: boolean, spec: NetSpec = BOOK_NET): BookPopulation {
  const net = new PopulationMlp(g, {
    inputs: spec.bits, outputs: spec.outputs, nLayers: 1, activation: 'relu', init: 'normal',
    members: Array.from({ length: models }, (_, m) => ({ seed: 7 + m, width: spec.hidden, keep: spec.keep })),
  });
  const opt = new ModelOptimizer(net.parameters(), models, { kind: 'adam', lr: new Float64Array(models).fill(0.001) });
  const trainer = new PopulationTrainer(g, net, opt, {
    rows: spec.rows, outputs: spec.outputs, labels: data.y, weights: data.w,
    input: (idx) => {
      const bits = selectRows(data.bits, idx);
      return sparse ? BitRows.from(g, bits) : Tensor.from(g, toDense(bits), [idx.length, spec.bits]);
    },
  }, { batchSize: spec.batch, reduction: 'sum', shuffle: false, dataSeed: 0, epochs: new Uint32Array(models).fill(1e9) });
  return {
    models,
    net: spec,
    async epoch() {
      return (await trainer.epoch()).loss;
    },
    parameters() {
      return Promise.all(net.parameters().map((p) => p.data()));
    },
    dispose() {
      trainer.dispose();
      opt.dispose();
      net.dispose();
    },
  };
}
