/**
 * `shadergrad bench` (also `npm run bench`): the kernel benchmark suite (src/perf/suite.ts) on this machine's adapter —
 * a table as results arrive, or one JSON object (--json) — and with --peers the same work in tfjs-webgpu (same Dawn,
 * same adapter, this process), PyTorch and numpy (/usr/bin/python3, when installed), with speedups against each.
 * The matmul squares (--sizes, default by adapter) are compared with tfjs-webgpu whenever it is installed. --tune
 * first measures matmul kernels and tiles on this adapter and caches the winners (src/backend/webgpu/matmul-tune.ts).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { adapterName } from '../gpu/adapter-info.ts';
import { GROUPS, runSuite, selectGroups, type Peers } from '../perf/suite.ts';
import { HEADER, formatSummary, resultLine } from '../perf/table.ts';
import { parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';
import { checkOutputFile } from './output-path.ts';

export const usage = `bench [--filter ${GROUPS.join('|')}[,…]] [--sizes 1024,2048,…] [--peers] [--json] [--out FILE]   kernel benchmarks on this adapter
                        [--tune]   first time matmul kernels and tiles on this adapter and cache the winners (alone: only that)`;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, {
    filter: { type: 'string' }, peers: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' }, sizes: { type: 'string' }, tune: { type: 'boolean' },
  });
  const sizes = o.sizes === undefined ? undefined : parseSizes(o.sizes);
  if (o.out !== undefined) checkOutputFile('bench', 'out', o.out); // before the benchmarks run
  const filter = o.filter?.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    selectGroups(filter);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const g = await WebGpuBackend.create();
  // Progress goes to stderr when stdout carries the JSON.
  const log = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  log(`adapter: ${adapterName(g.info)}`);
  try {
    if (o.tune) {
      const file = await tune(g, log);
      // `--tune` alone only tunes; with a filter, the groups then run with the new winners.
      if (!filter) {
        if (o.out) writeFileSync(o.out, `${JSON.stringify(file, null, 2)}\n`);
        if (o.json) process.stdout.write(`${JSON.stringify(file, null, 2)}\n`);
        return 0;
      }
    }
    log(HEADER);
    // The matmul squares are always compared with tfjs-webgpu in this process when it is installed (--peers adds the
    // python peers and tfjs's training step).
    const peers = o.peers ? await loadPeers(log) : selectGroups(filter).includes('matmul') ? await loadTfjsMatmul(log) : undefined;
    const report = await runSuite(g, {
      filter,
      peers,
      sizes,
      command: `shadergrad bench ${argv.join(' ')}`.trim(),
      host: { platform: `${process.platform}-${process.arch}`, cores: availableParallelism(), runtime: `node ${process.version}` },
      onResult: (r) => log(resultLine(r)),
    });
    if (o.out) writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else log(`\n${formatSummary(report)}`);
    return 0;
  } finally {
    g.rt.destroy();
  }
}

/** `--sizes 1024,2048`: squares for the matmul group, each an integer ≥ 1. */
export function parseSizes(text: string): number[] {
  const parts = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (parts.length === 0) throw new CliError(`--sizes needs a comma-separated list of matrix sizes (e.g. 1024,2048), got "${text}"`);
  return parts.map((t) => {
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--sizes: "${t}" is not a matrix size (an integer ≥ 1)`);
    return n;
  });
}

/** Times matmul candidates on this adapter (src/backend/webgpu/matmul-tune.ts), caches and applies the winners. */
async function tune(g: WebGpuBackend, log: (s: string) => void) {
  const { tuneMatmul, tuneRowLine, tuneSummary, writeTuneFile } = await import('../backend/webgpu/matmul-tune.ts');
  log('tuning matmul kernels on this adapter…');
  const file = await tuneMatmul(g, { onRow: (r) => log(tuneRowLine(r)) });
  const path = await writeTuneFile(file);
  g.matmulDevice.tuned = file.winners;
  for (const line of tuneSummary(file)) log(`  ${line}`);
  log(`tuned in ${file.seconds.toFixed(1)} s; winners cached in ${path}`);
  return file;
}

/** tfjs-webgpu's matmul alone, in this process; reported as not measured when it is not installed. */
async function loadTfjsMatmul(log: (s: string) => void): Promise<Peers> {
  const { loadTfjsWebgpu } = await import('../perf/peers/tfjs-webgpu.ts');
  const tfjs = await loadTfjsWebgpu();
  log(`peer ${tfjs.status.impl}: ${tfjs.status.note}`);
  return { status: [tfjs.status], matmul: tfjs.matmul ? [tfjs.matmul] : [], trainStep: [] };
}

/** tfjs-webgpu in this process; PyTorch and numpy in a python child process after the GPU groups. */
async function loadPeers(log: (s: string) => void): Promise<Peers> {
  const { loadTfjsWebgpu } = await import('../perf/peers/tfjs-webgpu.ts');
  const { runPythonPeers, runPythonPopulation } = await import('../perf/peers/python.ts');
  const tfjs = await loadTfjsWebgpu();
  log(`peer ${tfjs.status.impl}: ${tfjs.status.note}`);
  return {
    status: [tfjs.status],
    matmul: tfjs.matmul ? [tfjs.matmul] : [],
    trainStep: tfjs.trainStep ? [tfjs.trainStep] : [],
    population: (sizes) => {
      log('python peer (PyTorch population step): running…');
      const r = runPythonPopulation(sizes);
      for (const s of r.status) log(`peer ${s.impl}: ${s.note}`);
      return r;
    },
    offline: (cases, nets) => {
      log('python peers (PyTorch, numpy): running…');
      const r = runPythonPeers(cases, { nets });
      for (const s of r.status) log(`peer ${s.impl}: ${s.note}`);
      return r;
    },
  };
}
