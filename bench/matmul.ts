/** Matmul GFLOP/s on the current adapter, at the study's layer shape and two squares. */
import { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { adapterName } from '../src/gpu/adapter-info.ts';
import { Rng } from '../src/random/rng.ts';
import { time } from './timing.ts';

export interface MatmulResult {
  kernel: 'matmul';
  shape: string;
  impl: string;
  gflops: number;
  ms: { median: number; min: number; max: number };
}

export const MATMUL_SHAPES: [number, number, number][] = [[100, 1024, 50], [512, 512, 512], [1024, 1024, 1024]];

export async function benchMatmul(g: WebGpuBackend, shapes = MATMUL_SHAPES): Promise<MatmulResult[]> {
  const rng = new Rng(1);
  const out: MatmulResult[] = [];
  for (const [m, k, n] of shapes) {
    const a = g.upload(Float32Array.from({ length: m * k }, () => rng.normal()));
    const b = g.upload(Float32Array.from({ length: k * n }, () => rng.normal()));
    // Several products per sync so the fixed cost of a readback does not dominate small shapes.
    const reps = Math.max(1, Math.min(20, Math.round(2e8 / (2 * m * k * n))));
    const t = await time(async () => {
      for (let r = 0; r < reps; r++) g.release(g.matmul(a, b, { batch: 1, m, k, n }));
      await g.rt.sync();
    }, { warmup: 1, runs: 5, maxSeconds: 20 });
    const perOp = { median: t.median / reps, min: t.min / reps, max: t.max / reps };
    out.push({ kernel: 'matmul', shape: `${m}x${k}x${n}`, impl: 'shadergrad', gflops: (2 * m * k * n) / (perOp.median * 1e6), ms: perOp });
    g.release(a);
    g.release(b);
  }
  return out;
}

export function printMatmul(adapter: string, rows: MatmulResult[]): void {
  console.log(`adapter: ${adapter}`);
  console.log('kernel  shape            GFLOP/s   ms (median [min-max])');
  for (const r of rows) {
    console.log(`matmul  ${r.shape.padEnd(16)} ${r.gflops.toFixed(3).padStart(8)}   ${r.ms.median.toFixed(2)} [${r.ms.min.toFixed(2)}-${r.ms.max.toFixed(2)}]`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const g = await WebGpuBackend.create();
  printMatmul(adapterName(g.info), await benchMatmul(g));
  g.rt.destroy();
}
