/**
 * How long ECFP4 featurization of Tox21 takes: cold on one thread, cold on several threads (the calling thread plus
 * workers, the default; or workers alone), and from the cache. "Cold" means a fresh Node process (RDKit's wasm not
 * yet compiled, nothing JIT-warm), as a user's first run is, so each measurement runs in its own child process and
 * the table shows the minimum and median of --repeat runs. The time is what `tox21 data` reports as
 * seconds.featurize: RDKit start-up (wasm compile, workers) plus the fingerprints, or reading the cache.
 *
 *   npx tsx bench/featurize.ts [--data PATH] [--repeat 5] [--threads 2]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseCsv } from '../src/data/csv.ts';
import { readDataFile } from '../src/data/data-file.ts';
import { ECFP4_1024 } from '../src/data/ecfp.ts';
import { readMoleculeTable } from '../src/data/molecule-table.ts';
import { runMoleculeJobThreaded } from '../src/data/molecule-threads.ts';
import { loadTox21 } from '../src/data/tox21.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(repoRoot, '../shared/data/tox21.csv.gz') },
    repeat: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    child: { type: 'string' },
    cache: { type: 'string' },
  },
});
const data = values.data!;
const threads = Number(values.threads);

if (values.child) {
  // One measurement in this fresh process; prints { seconds, threads } as JSON.
  let seconds: number;
  let used: number;
  if (values.child === 'cached') {
    const { report } = await loadTox21({ data, cacheDir: values.cache! });
    if (!report.cached) throw new Error('the cache was not filled');
    [seconds, used] = [report.seconds.featurize, report.threads];
  } else {
    const smiles = readMoleculeTable(parseCsv(readDataFile(data).text, data), data).smiles;
    const t0 = performance.now();
    const run = await runMoleculeJobThreaded({ kind: 'ecfp', params: ECFP4_1024 }, smiles, values.child === 'single' ? 1 : threads, {
      callerWorks: values.child !== 'workers',
    });
    [seconds, used] = [(performance.now() - t0) / 1000, run.threads];
  }
  process.stdout.write(JSON.stringify({ seconds, threads: used }));
  process.exit(0);
}

const repeat = Number(values.repeat);
const cache = mkdtempSync(join(tmpdir(), 'shadergrad-bench-'));
const measure = (mode: string) =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, '--data', data, '--cache', cache, '--threads', String(threads)], {
      cwd: repoRoot,
      encoding: 'utf8',
    }),
  ) as { seconds: number; threads: number };

try {
  await loadTox21({ data, cacheDir: cache }); // fills the cache for the "cached" row
  const modes = [
    ['cold, 1 thread', 'single'],
    [`cold, caller + ${threads - 1} worker${threads > 2 ? 's' : ''}`, 'threads'],
    [`cold, ${threads} workers only`, 'workers'],
    ['cached', 'cached'],
  ] as const;
  const runs = new Map<string, { seconds: number; threads: number }[]>(modes.map(([, m]) => [m, []]));
  // Interleaved rounds, so a burst of load from another process hits every mode alike.
  for (let r = 0; r < repeat; r++) for (const [, mode] of modes) runs.get(mode)!.push(measure(mode));
  console.log(`featurize ${data}: ${availableParallelism()} cores, node ${process.version}, ${repeat} fresh processes per mode`);
  console.log(`${'mode'.padEnd(26)} ${'min s'.padStart(7)} ${'median s'.padStart(9)}   threads that computed`);
  for (const [label, mode] of modes) {
    const rs = runs.get(mode)!;
    const t = rs.map((x) => x.seconds).sort((a, b) => a - b);
    const used = [...new Set(rs.map((x) => x.threads))].join('/');
    console.log(`${label.padEnd(26)} ${t[0].toFixed(3).padStart(7)} ${t[Math.floor(t.length / 2)].toFixed(3).padStart(9)}   ${used}`);
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
}
