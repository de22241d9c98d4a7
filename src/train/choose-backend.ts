/**
 * Which backend trains, decided by measurement where it is not obvious. A hardware GPU is taken as it is; with no
 * adapter the CPU backend is the only choice; but a software adapter (SwiftShader) emulates a GPU on the CPU, and
 * whether it or the CPU backend runs a given network faster depends on the network and the machine — so one step of
 * the run's network is timed on both (a fraction of a second), cached per machine and network shape, and the faster
 * trains. The choice and its reason are kept beside the backend (`backendChoice`) for the reports.
 * Here, not in src/backend, because timing a step needs the training loop.
 * Each candidate is first checked against its buffer limits (src/nn/memory.ts): one the network cannot fit is never
 * timed (allocating it would fail inside the timing with a stack trace); with no candidate left, a RangeError names
 * the sizes — the CLI prints it as one line.
 */
import type { Backend } from '../backend/backend.ts';
import { CpuBackend } from '../backend/cpu/cpu-backend.ts';
import { createBackend } from '../backend/create.ts';
import { tuneKey } from '../backend/webgpu/tune-file.ts';
import { adapterName } from '../gpu/adapter-info.ts';
import { NoAdapterError, type DeviceOptions } from '../gpu/device.ts';
import { checkNetworkFits } from '../nn/memory.ts';
import { readMeasurement, writeMeasurement } from './measure-cache.ts';
import { populationCost, type PopulationCost } from './population-cost.ts';
import { shapeKey, timeAlternating, type NetworkShape } from './step-timer.ts';

export type BackendRequest = 'auto' | 'webgpu' | 'cpu';

/** What the JSON and the reports say about the backend: which, how it was chosen, the measurement, and why. */
export interface BackendChoice {
  kind: 'webgpu' | 'cpu';
  chosen: 'measured' | 'forced' | 'hardware-gpu' | 'no-adapter';
  /** Milliseconds per training step of the run's network on each, when measured. */
  msPerStep?: { webgpu: number; cpu: number };
  /** The measurement came from the cache (no step was timed this time). */
  cached?: boolean;
  reason: string;
}

export interface ChooseOptions extends DeviceOptions {
  backend?: BackendRequest;
  /** The run's network: what is timed. */
  network: NetworkShape;
  /** Folder of the measurement cache; null: none. Default: `<cache folder>/backend` in Node, none in a browser. */
  cacheDir?: string | null;
  /** Notes worth a line (a cache file that could not be used). */
  onNote?: (line: string) => void;
  /** How one step is timed (tests count calls through it). */
  timeStep?: (be: Backend, shape: NetworkShape) => Promise<number>;
  /** How WebGPU is opened (tests hand in a stand-in adapter). */
  openWebGpu?: () => Promise<Backend>;
}

const CHOICES = new WeakMap<Backend, BackendChoice>();

/** How `be` was chosen, when `chooseBackend` made it. */
export function backendChoice(be: Backend): BackendChoice | undefined {
  return CHOICES.get(be);
}

/** What a report says about a backend: how it was chosen and, when measured, whether populations pay on it. */
export type BackendReport = BackendChoice & { population?: PopulationCost };

/** `be`'s choice (or, for a backend made elsewhere, its kind as given) and its population measurement, if any. */
export function backendReport(be: Backend): BackendReport {
  const choice = CHOICES.get(be) ?? { kind: be.kind, chosen: 'forced' as const, reason: `${be.kind} backend given by the caller` };
  const population = populationCost(be);
  return { ...choice, ...(population ? { population } : {}) };
}

/** The backend to train `network` on, and why (see the file's comment). */
export async function chooseBackend(opts: ChooseOptions): Promise<{ be: Backend; choice: BackendChoice }> {
  const request = opts.backend ?? 'auto';
  const open = opts.openWebGpu ?? (() => createBackend({ ...opts, backend: 'webgpu' }));
  const done = (be: Backend, choice: BackendChoice) => {
    CHOICES.set(be, choice);
    return { be, choice };
  };
  if (request === 'cpu') return done(new CpuBackend('f32'), { kind: 'cpu', chosen: 'forced', reason: '--backend cpu' });
  if (request === 'webgpu') {
    const be = await open();
    return done(be, { kind: 'webgpu', chosen: 'forced', reason: `--backend webgpu: ${adapterName(be.info)}` });
  }
  let gpu: Backend;
  try {
    gpu = await open();
  } catch (e) {
    if (!(e instanceof NoAdapterError)) throw e;
    return done(new CpuBackend('f32'), { kind: 'cpu', chosen: 'no-adapter', reason: `no WebGPU adapter (${e.message}): training on the CPU` });
  }
  if (!gpu.info.software) return done(gpu, { kind: 'webgpu', chosen: 'hardware-gpu', reason: `hardware GPU: ${adapterName(gpu.info)}` });
  const cpu = new CpuBackend('f32');
  const gpuProblem = fitProblem(gpu, opts.network), cpuProblem = fitProblem(cpu, opts.network);
  if (gpuProblem) {
    (gpu as { dispose?: () => void }).dispose?.();
    if (cpuProblem) throw new RangeError(`the network fits neither backend: ${adapterName(gpu.info)}: ${gpuProblem}; CPU: ${cpuProblem}`);
    return done(cpu, { kind: 'cpu', chosen: 'measured', reason: `the network does not fit ${adapterName(gpu.info)} (${gpuProblem}): training on the CPU` });
  }
  if (cpuProblem) return done(gpu, { kind: 'webgpu', chosen: 'measured', reason: `the network does not fit the CPU backend (${cpuProblem}): training on ${adapterName(gpu.info)}` });
  const { ms, cached } = await measureBoth(gpu, cpu, opts);
  const name = /swiftshader/i.test(`${gpu.info.description} ${gpu.info.vendor}`) ? 'SwiftShader' : adapterName(gpu.info);
  const times = `${name} ${ms.webgpu.toFixed(1)} ms/step, CPU ${ms.cpu.toFixed(1)} ms/step${cached ? ' (measured before)' : ''}`;
  if (ms.cpu < ms.webgpu) {
    (gpu as { dispose?: () => void }).dispose?.();
    return done(cpu, { kind: 'cpu', chosen: 'measured', msPerStep: ms, cached, reason: `${times}: training on the CPU; --backend webgpu to force` });
  }
  return done(gpu, { kind: 'webgpu', chosen: 'measured', msPerStep: ms, cached, reason: `${times}: training on ${name}; --backend cpu to force` });
}

/** Why `network` cannot be allocated on `be` (its buffer limits), or null when it fits. */
function fitProblem(be: Backend, network: NetworkShape): string | null {
  try {
    checkNetworkFits(be, network);
    return null;
  } catch (e) {
    if (e instanceof RangeError) return e.message;
    throw e;
  }
}

/** One step of the network on each backend, from the cache when this machine timed this shape before. */
async function measureBoth(gpu: Backend, cpu: Backend, opts: ChooseOptions): Promise<{ ms: { webgpu: number; cpu: number }; cached: boolean }> {
  const key = `choice-${tuneKey(gpu.info)}-${shapeKey(opts.network)}`;
  const hit = await readMeasurement(opts.cacheDir, key, ['webgpu', 'cpu'], opts.onNote);
  if (hit) return { ms: { webgpu: hit.webgpu, cpu: hit.cpu }, cached: true };
  let ms: { webgpu: number; cpu: number };
  if (opts.timeStep) ms = { webgpu: await opts.timeStep(gpu, opts.network), cpu: await opts.timeStep(cpu, opts.network) };
  else {
    // Alternating rounds: a shared machine's load hits both alike.
    const [webgpu, cpuMs] = await timeAlternating([{ be: gpu, models: 1 }, { be: cpu, models: 1 }], opts.network, { steps: 6, epochs: 4, budgetMs: 400 });
    ms = { webgpu, cpu: cpuMs };
  }
  await writeMeasurement(opts.cacheDir, key, ms, opts.onNote);
  return { ms, cached: false };
}
