/**
 * `shadergrad bench` (also `npm run bench`): the kernel benchmark suite (bench/suite.ts) on this machine's adapter —
 * a table as results arrive, or one JSON object (--json) — and with --peers the same work in tfjs-webgpu (same Dawn,
 * same adapter, this process), PyTorch and numpy (/usr/bin/python3, when installed), with speedups against each.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { adapterName } from '../gpu/adapter-info.ts';
import { GROUPS, runSuite, selectGroups, type Peers } from '../../bench/suite.ts';
import { HEADER, formatSummary, resultLine } from '../../bench/table.ts';
import { parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';

export const usage = `bench [--filter ${GROUPS.join('|')}[,…]] [--peers] [--json] [--out FILE]   kernel benchmarks on this adapter`;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, { filter: { type: 'string' }, peers: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' } });
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
  log(HEADER);
  try {
    const peers = o.peers ? await loadPeers(log) : undefined;
    const report = await runSuite(g, {
      filter,
      peers,
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

/** tfjs-webgpu in this process; PyTorch and numpy in a python child process after the GPU groups. */
async function loadPeers(log: (s: string) => void): Promise<Peers> {
  const { loadTfjsWebgpu } = await import('../../bench/peers/tfjs-webgpu.ts');
  const { runPythonPeers } = await import('../../bench/peers/python.ts');
  const tfjs = await loadTfjsWebgpu();
  log(`peer ${tfjs.status.impl}: ${tfjs.status.note}`);
  return {
    status: [tfjs.status],
    matmul: tfjs.matmul ? [tfjs.matmul] : [],
    trainStep: tfjs.trainStep ? [tfjs.trainStep] : [],
    offline: (cases) => {
      log('python peers (PyTorch, numpy): running…');
      const r = runPythonPeers(cases);
      for (const s of r.status) log(`peer ${s.impl}: ${s.note}`);
      return r;
    },
  };
}
