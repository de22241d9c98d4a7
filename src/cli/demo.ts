/**
 * `shadergrad demo`: a short tour of the kernels on this machine's adapter — what the adapter is, a matmul with a
 * fused bias + ReLU checked against the CPU oracle, and dropout's reproducible mask. The Tox21 study replaces it as
 * the main job.
 */
import { CpuBackend } from '../backend/cpu/cpu-backend.ts';
import { createBackend } from '../backend/create.ts';
import { adapterName } from '../gpu/adapter-info.ts';
import { Rng } from '../random/rng.ts';
import { parseOptions } from './args.ts';

export const usage = 'demo [--cpu]   a short tour of the kernels on this machine';

export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv, { cpu: { type: 'boolean' } });
  const be = await createBackend({ backend: opts.cpu ? 'cpu' : 'auto', onFallback: (why) => console.log(`no WebGPU adapter (${why}); using the CPU backend`) });
  console.log(`adapter: ${adapterName(be.info)}`);
  const rng = new Rng(0);
  const [m, k, n] = [100, 1024, 50];
  const x = Float32Array.from({ length: m * k }, () => (rng.float() < 0.03 ? 1 : 0));
  const w = Float32Array.from({ length: k * n }, () => rng.normal());
  const b = Float32Array.from({ length: n }, () => rng.normal());
  const ref = new CpuBackend('f32');
  const results = [];
  for (const backend of [be, ref]) {
    const t0 = performance.now();
    const out = backend.matmul(backend.upload(x), backend.upload(w), { batch: 1, m, k, n, bias: backend.upload(b), activation: 'relu' });
    const data = await backend.read(out);
    results.push({ data, ms: performance.now() - t0 });
  }
  let maxErr = 0;
  for (let i = 0; i < results[0].data.length; i++) maxErr = Math.max(maxErr, Math.abs(results[0].data[i] - results[1].data[i]));
  console.log(`relu(X·W + b) for X ${m}×${k} (3 % ones), W ${k}×${n}: ${results[0].ms.toFixed(1)} ms on ${be.kind}, ${results[1].ms.toFixed(1)} ms on the CPU oracle, max |difference| ${maxErr.toExponential(2)}`);
  const drop = await be.read(be.dropout(be.upload(new Float32Array(20).fill(1)), { keep: 0.5, seed: 7, step: 0, stream: 0 }));
  console.log(`dropout keep=0.5 seed=7 step=0: ${Array.from(drop).map((v) => (v ? '1' : '.')).join('')} (the same on every run)`);
  return maxErr < 1e-3 ? 0 : 1;
}
