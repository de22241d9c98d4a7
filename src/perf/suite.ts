/**
 * The benchmark suite: which groups run, in what order, against which peers, and the report they make. Groups:
 *   matmul          squares 256-2048, on a GPU 256-8192, or --sizes (the library's kernel; peers where the time cap allows)
 *   matmul-study    the study's layer products: batch 100/1024 × 1024 × 50/2000, forward and both backward
 *   matmul-kernels  each matmul kernel forced (tiled, large, blocked, subgroup) at 256-1024 and the book's layer (GPU: 2048, 8192 too)
 *   elementwise     memory-bound kernels and reductions, GB/s
 *   sparse          the first layer dense vs sparse
 *   train-step      the book network's training step, dense and sparse first layer
 *   population      the same step for 1, 4, 16, 64 models trained at once (one dispatch set for all)
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
import { benchTrainStep } from './train-step.ts';

export const GROUPS = ['matmul', 'matmul-study', 'matmul-kernels', 'elementwise', 'sparse', 'train-step', 'population', 'dispatch'] as const;
export type Group = (typeof GROUPS)[number];

/** Peers another library provides; each is optional. */
export interface Peers {
  status: PeerStatus[];
  matmul: MatmulContender[];
  trainStep: ((opts: { steps?: number; rounds?: number }) => Promise<BenchResult>)[];
  /** The population step written by hand in another library (a child process), for each number of models. */
  population?: (sizes: number[]) => { status: PeerStatus[]; results: BenchResult[] };
  /** Runs elsewhere (a child process) on the given matmul cases; returns its rows. */
  offline?: (cases: MatmulCase[]) => { status: PeerStatus[]; results: BenchResult[] };
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
  if (peers?.offline && (offlineCases.length > 0 || groups.includes('train-step'))) {
    const off = peers.offline(offlineCases);
    status.push(...off.status);
    add(off.results.filter((r) => r.kernel !== 'train-step' || groups.includes('train-step')));
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
