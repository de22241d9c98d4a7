/**
 * Whether a fully connected network fits the backend before a single buffer is allocated. Without this check,
 * `--hidden 100000000` ended in V8's "Invalid typed array length" with a stack trace from deep inside weight
 * initialisation. The estimate counts what training holds at once — weights and biases, their gradients, the
 * optimizer's slots (Adam: two), and each hidden layer's activations with their gradients for a batch — for
 * `models` copies trained side by side (so a population can be split into groups that fit). The refusal is a
 * RangeError naming the largest buffer, its shape and size, and the limit it passes. Pure: limits come from the
 * backend object (WebGPU: the device's buffer and binding limits; CPU: the largest typed array) and the caller.
 */
import type { Backend } from '../backend/backend.ts';

export interface NetworkShape {
  inputs: number;
  /** Units per hidden layer. */
  hidden: number;
  /** Hidden layers (0: inputs straight to outputs). */
  layers: number;
  outputs: number;
  /** Independent copies trained at once (their weights share one buffer per layer). Default 1. */
  models?: number;
  /** Rows per training (or prediction) batch, for the activations. Default 100. */
  batch?: number;
  /** Tensors of optimizer state per parameter: SGD 0, momentum 1, Adam 2 (default). */
  optimizerSlots?: number;
}

export interface MemoryLimits {
  /** The largest single buffer the backend can hold, in bytes. */
  maxBufferBytes: number;
  /** Where that limit comes from, for the message ("this adapter's largest storage buffer"). */
  bufferLimitName: string;
  /** Memory for everything together, in bytes, when known (e.g. the host's RAM); Infinity if not. */
  maxTotalBytes: number;
  totalLimitName?: string;
}

export interface BufferEstimate {
  name: string;
  dims: number[];
  floats: number;
  bytes: number;
}

export interface MemoryEstimate {
  buffers: BufferEstimate[];
  largest: BufferEstimate;
  parameterFloats: number;
  totalBytes: number;
}

/** V8's largest typed array in Node 20 (2^32 − 1 elements); the weights are initialised in one on the host. */
export const HOST_MAX_ARRAY_ELEMENTS = 2 ** 32 - 1;

export function estimateNetworkMemory(n: NetworkShape, bytesPerFloat = 4): MemoryEstimate {
  for (const [k, v, min] of [['inputs', n.inputs, 1], ['hidden', n.hidden, 1], ['layers', n.layers, 0], ['outputs', n.outputs, 1], ['models', n.models ?? 1, 1], ['batch', n.batch ?? 100, 1], ['optimizerSlots', n.optimizerSlots ?? 2, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`network size: ${k} must be an integer ≥ ${min}, got ${v}`);
  }
  const models = n.models ?? 1;
  const batch = n.batch ?? 100;
  const slots = n.optimizerSlots ?? 2;
  const lead = models > 1 ? [models] : [];
  const buffers: BufferEstimate[] = [];
  const add = (name: string, dims: number[]) => {
    const floats = dims.reduce((a, b) => a * b, 1);
    buffers.push({ name, dims, floats, bytes: floats * bytesPerFloat });
  };
  let width = n.inputs;
  for (let l = 0; l < n.layers; l++) {
    add(`W${l + 1}`, [...lead, width, n.hidden]);
    add(`b${l + 1}`, [...lead, n.hidden]);
    width = n.hidden;
  }
  add(`W${n.layers + 1}`, [...lead, width, n.outputs]);
  add(`b${n.layers + 1}`, [...lead, n.outputs]);
  const parameterFloats = buffers.reduce((a, b) => a + b.floats, 0);
  // Each hidden layer's output and dropout output, and the gradients of both, for one batch.
  for (let l = 0; l < n.layers; l++) add(`layer ${l + 1} activations`, [...lead, batch, n.hidden]);
  const activationFloats = buffers.slice(2 * (n.layers + 1)).reduce((a, b) => a + b.floats, 0);
  const totalFloats = parameterFloats * (2 + slots) + activationFloats * 4 + models * batch * n.outputs * 4;
  const largest = buffers.reduce((a, b) => (b.floats > a.floats ? b : a));
  return { buffers, largest, parameterFloats, totalBytes: totalFloats * bytesPerFloat };
}

/** The backend's own limits: a WebGPU device's largest storage buffer, the CPU's largest typed array. */
export function backendLimits(be: Backend, maxTotalBytes = Infinity, totalLimitName?: string): MemoryLimits {
  const host = HOST_MAX_ARRAY_ELEMENTS * 4;
  if (be.kind === 'webgpu') {
    const rt = (be as unknown as { rt?: { maxStorageBytes?: number } }).rt;
    const gpu = rt?.maxStorageBytes;
    if (typeof gpu === 'number' && gpu < host) {
      return { maxBufferBytes: gpu, bufferLimitName: "this adapter's largest storage buffer (maxStorageBufferBindingSize, maxBufferSize)", maxTotalBytes, totalLimitName };
    }
  }
  const bytes = be.kind === 'cpu' && (be as unknown as { dtype?: string }).dtype === 'f64' ? 8 : 4;
  return { maxBufferBytes: HOST_MAX_ARRAY_ELEMENTS * bytes, bufferLimitName: 'the largest typed array this JavaScript engine allocates (2^32 − 1 elements)', maxTotalBytes, totalLimitName };
}

/**
 * Throws a RangeError unless every buffer of the network fits `limits` (default: the backend's own) and the whole
 * fits `limits.maxTotalBytes`; returns the estimate otherwise. Call it before building the network.
 */
export function checkNetworkFits(be: Backend, n: NetworkShape, limits: MemoryLimits = backendLimits(be)): MemoryEstimate {
  const bytesPerFloat = be.kind === 'cpu' && (be as unknown as { dtype?: string }).dtype === 'f64' ? 8 : 4;
  const est = estimateNetworkMemory(n, bytesPerFloat);
  const big = est.largest;
  const models = n.models ?? 1;
  const who = models > 1 ? ` (${models} models at once)` : '';
  if (big.bytes > limits.maxBufferBytes) {
    throw new RangeError(
      `network too large${who}: ${big.name} is ${big.dims.join(' × ')} floats = ${formatBytes(big.bytes)}; ` +
        `${limits.bufferLimitName} is ${formatBytes(limits.maxBufferBytes)}${models > 1 ? '; train fewer models at once' : '; use fewer hidden units'}`,
    );
  }
  if (est.totalBytes > limits.maxTotalBytes) {
    throw new RangeError(
      `network too large${who}: training needs about ${formatBytes(est.totalBytes)} (weights, gradients, optimizer state and activations ` +
        `of ${n.layers} hidden layer(s) of ${n.hidden} units); ${limits.totalLimitName ?? 'the memory available'} is ${formatBytes(limits.maxTotalBytes)}`,
    );
  }
  return est;
}

/** Bytes in binary units: "381.5 GiB", "2 GiB", "512 B". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : Number(v.toFixed(1))} ${units[u]}`;
}
