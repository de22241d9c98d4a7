/**
 * The benchmark suite: which groups run, in what order, against which peers, and the report they make. Groups:
 *   matmul          squares 256-2048, on a GPU 256-8192, or --sizes (the library's kernel; peers where the time cap allows)
 *   matmul-study    the study's layer products: batch 100/1024 × 1024 × 50/2000, forward and both backward
 *   matmul-kernels  each matmul kernel forced (tiled, large, blocked, subgroup) at 256-1024 and the book's layer (GPU: 2048, 8192 too)
 *   elementwise     memory-bound kernels and reductions, GB/s
 *   sparse          the first layer dense vs sparse
 *   train-step      the book network's training step, dense and sparse first layer, on WebGPU and on the CPU path
 *   train-step-12task  the 12-task network's step (1024 → 500 → 12, batch 50), WebGPU and the CPU path
 *   population      the same step for 1, 4, 16, 64 models trained at once (one dispatch set for all), WebGPU and CPU
 *   dispatch        fixed costs: a tiny dispatch, an empty submit, a readback
 * Peers are injected by the caller (src/cli/bench.ts loads them in Node), so this file imports nothing Node-only.
 */
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { matmulKernels } from '../backend/webgpu/matmul-config.ts';
import { adapterName } from '../gpu/adapter-info.ts';
import { benchDispatch } from './dispatch.ts';
import { benchElementwise } from './elementwise.ts';
import { GPU_SQUARES, SQUARES, benchMatmul, shadergradMatmul, studyCases, type MatmulCase, type MatmulContender } from './matmul.ts';
import { ratios, type BenchReport, type BenchResult, type PeerStatus } from './result.ts';
import { benchPopulation, POPULATION_SIZES } from './population.ts';
import { benchSparse } from './sparse.ts';
import { benchTrainStep, benchTrainStep12, BOOK_NET, TASK12_NET, type NetSpec } from './train-step.ts';

export const GROUPS = ['matmul', 'matmul-study', 'matmul-kernels', 'elementwise', 'sparse', 'train-step', 'train-step-12task', 'population', 'dispatch'] as const;
export type Group = (typeof GROUPS)[number];

/** Peers another library provides; each is optional. */
export interface Peers {
  status: PeerStatus[];
  matmul: MatmulContender[];
  trainStep: ((opts: { steps?: number; rounds?: number }) => Promise<BenchResult>)[];
  /** The population step written by hand in another library (a child process), for each number of models. */
  population?: (sizes: number[]) => { status: PeerStatus[]; results: BenchResult[] };
  /** Runs elsewhere (a child process) on the given matmul cases and training steps; returns its rows. */
  offline?: (cases: MatmulCase[], nets: { kernel: string; net: NetSpec }[]) => { status: PeerStatus[]; results: BenchResult[] };
}

export interface SuiteOptions {
  /** Group names, or parts of them, to run (all when empty). */
  filter?: string[];
  peers?: Peers;
  command: string;
  host: BenchReport['host'];
  onResult?: (r: BenchResult) => void;
  onGroup?: (g: Group) => void;
  /** Squares m = k = n of the matmul group; default SQUARES on a software adapter, GPU_SQUARES on a hardware one. */
  sizes?: number[];
}

/** Groups named exactly by a filter term, or containing a term that names no group ('mat' → every matmul group). */
export function selectGroups(filter: string[] | undefined): Group[] {
  if (!filter || filter.length === 0) return [...GROUPS];
  const picked = GROUPS.filter((g) => filter.some((f) => ((GROUPS as readonly string[]).includes(f) ? g === f : g.includes(f))));
  if (picked.length === 0) throw new RangeError(`no benchmark group matches ${filter.map((f) => `"${f}"`).join(', ')}; groups: ${GROUPS.join(', ')}`);
  return picked;
}

export async function runSuite(g: WebGpuBackend, opts: SuiteOptions): Promise<BenchReport> {
  const t0 = performance.now();
  const groups = selectGroups(opts.filter);
  const results: BenchResult[] = [];
  const add = (rs: BenchResult[]) => {
    for (const r of rs) {
      results.push(r);
      opts.onResult?.(r);
    }
  };
  const peers = opts.peers;
  const withPeers = (): MatmulContender[] => [shadergradMatmul(g), ...(peers?.matmul ?? [])];
  const offlineCases: MatmulCase[] = [];
  const status = [...(peers?.status ?? [])];
  for (const group of groups) {
    opts.onGroup?.(group);
    switch (group) {
      case 'matmul': {
        const cases = (opts.sizes ?? (g.info.software ? SQUARES : GPU_SQUARES)).map((s) => ({ m: s, k: s, n: s }));
        offlineCases.push(...cases);
        // A peer at ~0.4 GFLOP/s would need ~45 s per 2048² product: capped per product.
        await benchMatmul(g, cases, { contenders: withPeers(), rounds: 3, maxSeconds: 30, maxProductSeconds: 12, onResult: (r) => add([r]) });
        break;
      }
      case 'matmul-study': {
        const cases = studyCases();
        offlineCases.push(...cases);
        await benchMatmul(g, cases, { contenders: withPeers(), rounds: 3, maxSeconds: 20, maxProductSeconds: 12, onResult: (r) => add([r]) });
        break;
      }
      case 'matmul-kernels': {
        const contenders = matmulKernels(g.matmulDevice).map((k) => shadergradMatmul(g, k));
        // On a GPU also where the kernels part ways (the tiled kernel stalled at 7 TFLOP/s there on the H200).
        const big = g.info.software ? [] : [{ m: 2048, k: 2048, n: 2048 }, { m: 8192, k: 8192, n: 8192 }];
        await benchMatmul(g, [{ m: 100, k: 1024, n: 50 }, { m: 256, k: 256, n: 256 }, { m: 512, k: 512, n: 512 }, { m: 1024, k: 1024, n: 1024 }, ...big],
          { contenders: [shadergradMatmul(g), ...contenders], rounds: 3, maxSeconds: 20, maxProductSeconds: 3, onResult: (r) => add([r]) });
        break;
      }
      case 'elementwise':
        add(await benchElementwise(g));
        break;
      case 'sparse':
        add(await benchSparse(g));
        break;
      case 'train-step': {
        add((await benchTrainStep(g)).results);
        for (const step of peers?.trainStep ?? []) add([await step({ steps: 10, rounds: 3 })]);
        break;
      }
      case 'train-step-12task':
        add(await benchTrainStep12(g));
        // tfjs-webgpu's step is dense (no sparse matmul): its book step already takes ~1 s on a software adapter.
        if (peers?.trainStep.length) {
          status.push({ impl: 'tfjs-webgpu', available: false, note: `not run for train-step-12task: its dense 1024×500 step would take minutes per timing${g.info.software ? ' on this software adapter' : ''} (the book's step is its only row)` });
        }
        break;
      case 'population': {
        await benchPopulation(g, { sizes: POPULATION_SIZES, onResult: (r) => add([r]) });
        if (peers?.population) {
          const p = peers.population(POPULATION_SIZES);
          status.push(...p.status);
          add(p.results);
        }
        break;
      }
      case 'dispatch':
        add(await benchDispatch(g));
        break;
    }
  }
  const nets = [{ kernel: 'train-step', net: BOOK_NET }, { kernel: 'train-step-12task', net: TASK12_NET }].filter((n) => groups.includes(n.kernel as Group));
  if (peers?.offline && (offlineCases.length > 0 || nets.length > 0)) {
    const off = peers.offline(offlineCases, nets);
    status.push(...off.status);
    add(off.results);
  }
  return {
    adapter: { ...g.info, name: adapterName(g.info) },
    command: opts.command,
    host: opts.host,
    seconds: (performance.now() - t0) / 1000,
    peers: status,
    results,
    ratios: ratios(results),
  };
}
