/**
 * The one script a GPU machine runs (packed by scripts/gpu-run.sh with ../shared/gpu/pack.sh into .gpu/gpu-entry.mjs,
 * because that machine has no Node.js): time on such a machine is short and start-up counts, so everything happens
 * in one process — print the adapter and its limits first, tune the matmul (`shadergrad bench --tune`), check every
 * matmul configuration against the CPU backend (src/perf/gpu-check.ts: SwiftShader can hide races a GPU exposes),
 * then run the whole benchmark suite with tfjs-webgpu in the same process as the peer, on the adapter's default
 * squares (256-8192 on a GPU). Every row is written as a JSON line the moment it exists, so a run cut short still
 * leaves its results:
 *   <out>/bench.jsonl   {"type":"adapter"|"tune"|"check"|"result"|"done", …} per line
 *   <out>/tune.json     the tuning file (also stored in the tuning cache, see src/backend/webgpu/matmul-tune.ts)
 *   <out>/bench.json    the suite's report (what `shadergrad bench --json` prints), with ratios against tfjs
 * Usage: node gpu-entry.mjs [--out DIR] [--filter GROUPS] [--sizes 1024,2048,…] [--no-tune] [--tune-budget SECONDS] [--no-check]
 * <out> is --out, else $OUT, else ./gpu-results. No python peers: they would time PyTorch on the CPU.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { tuneMatmul, tuneRowLine, tuneSummary, writeTuneFile } from '../backend/webgpu/matmul-tune.ts';
import { adapterName } from '../gpu/adapter-info.ts';
import { checkMatmulKernels } from './gpu-check.ts';
import { loadTfjsWebgpu } from './peers/tfjs-webgpu.ts';
import { runSuite, selectGroups } from './suite.ts';
import { HEADER, formatSummary, resultLine } from './table.ts';

async function main(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv, strict: true,
    options: {
      out: { type: 'string' }, filter: { type: 'string' }, sizes: { type: 'string' }, 'no-tune': { type: 'boolean' }, 'tune-budget': { type: 'string' },
      'no-check': { type: 'boolean' },
    },
  });
  const filter = o.filter?.split(',').map((s) => s.trim()).filter(Boolean);
  selectGroups(filter);
  const sizes = o.sizes?.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`--sizes: "${s}" is not a matrix size (an integer ≥ 1)`);
    return n;
  });
  const budget = o['tune-budget'] === undefined ? undefined : Number(o['tune-budget']);
  if (budget !== undefined && !(budget > 0)) throw new RangeError(`--tune-budget must be a number of seconds > 0, got "${o['tune-budget']}"`);
  const out = o.out ?? process.env.OUT ?? 'gpu-results';
  mkdirSync(out, { recursive: true });
  const lines = join(out, 'bench.jsonl');
  writeFileSync(lines, '');
  const emit = (type: string, body: object) => appendFileSync(lines, `${JSON.stringify({ type, ...body })}\n`);
  const t0 = performance.now();

  const g = await WebGpuBackend.create();
  const lim = g.rt.device.limits;
  const adapter = {
    ...g.info, name: adapterName(g.info), subgroupSize: g.rt.ctx.subgroupSize, features: [...g.rt.ctx.adapter.features].sort(),
    limits: {
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize, maxBufferSize: lim.maxBufferSize,
    },
  };
  console.log(`adapter: ${adapter.name} ${JSON.stringify({ ...adapter, name: undefined })}`);
  emit('adapter', { adapter, host: { platform: `${process.platform}-${process.arch}`, cores: availableParallelism(), runtime: `node ${process.version}` } });
  try {
    if (!o['no-tune']) {
      console.log('tuning matmul kernels on this adapter…');
      const file = await tuneMatmul(g, {
        budgetSeconds: budget,
        onRow: (r) => {
          console.log(tuneRowLine(r));
          emit('tune', { row: r });
        },
      });
      g.matmulDevice.tuned = file.winners;
      writeFileSync(join(out, 'tune.json'), `${JSON.stringify(file, null, 2)}\n`);
      try {
        console.log(`winners cached in ${await writeTuneFile(file)}`);
      } catch (e) {
        console.log(`tuning cache not written (${(e as Error).message}); the winners apply to this run`);
      }
      for (const l of tuneSummary(file)) console.log(`  ${l}`);
      emit('tune', { winners: file.winners, seconds: file.seconds, skipped: file.skipped });
    }
    if (!o['no-check']) {
      console.log('checking every matmul configuration against the CPU backend…');
      const rows = await checkMatmulKernels(g, (r) => {
        if (!r.ok) console.log(`MISMATCH ${r.config} on ${r.shape}: ${r.error ?? `worst excess over tolerance ${r.worstExcess}`}`);
        emit('check', { row: r });
      });
      const bad = rows.filter((r) => !r.ok).length;
      console.log(bad === 0 ? `correctness: all ${rows.length} kernel × shape pairs match the CPU backend` : `correctness: ${bad} of ${rows.length} kernel × shape pairs do NOT match the CPU backend`);
    }
    const tfjs = await loadTfjsWebgpu();
    console.log(`peer ${tfjs.status.impl}: ${tfjs.status.note}`);
    console.log(HEADER);
    const report = await runSuite(g, {
      filter, sizes,
      peers: { status: [tfjs.status], matmul: tfjs.matmul ? [tfjs.matmul] : [], trainStep: tfjs.trainStep ? [tfjs.trainStep] : [] },
      command: `gpu-entry ${argv.join(' ')}`.trim(),
      host: { platform: `${process.platform}-${process.arch}`, cores: availableParallelism(), runtime: `node ${process.version}` },
      onResult: (r) => {
        console.log(resultLine(r));
        emit('result', { result: r });
      },
    });
    writeFileSync(join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\n${formatSummary(report)}`);
    emit('done', { seconds: (performance.now() - t0) / 1000, ratios: report.ratios });
    console.log(`results in ${out}/ (bench.jsonl, bench.json${o['no-tune'] ? '' : ', tune.json'}); ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    g.rt.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`gpu-entry: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
