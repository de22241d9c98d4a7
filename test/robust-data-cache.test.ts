// Issue 23, point 1 (nothing partial cached) and point 8: a feature cache with a flipped bit (same size) crashed every
// later run with a RangeError, and damage that stayed in bounds was used silently. Now every cache file carries the
// SHA-256 of its payload: a mismatch is recomputed with a one-line note and the file rewritten; a result that does not
// account for every row is never written; a featurizing run that stops (a worker lost) fails in one line, uncached.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DataFileError } from '../src/data/data-error.ts';
import { writeEcfpCache } from '../src/data/feature-cache.ts';
import { MOL_FAILED, MOL_OK } from '../src/data/parse-molecule.ts';
import { loadTox21 } from '../src/data/tox21.ts';
import { runMain } from './helpers/cli-in-process.ts';

const failThreads = vi.hoisted(() => ({ on: false }));
vi.mock('../src/data/molecule-threads.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/data/molecule-threads.ts')>();
  return {
    ...real,
    runMoleculeJobThreaded: ((...args: Parameters<typeof real.runMoleculeJobThreaded>) =>
      failThreads.on
        ? Promise.reject(new Error('molecule worker 1 died while computing rows 0–255 (exit code 1)\n    at Worker.<anonymous> (pool.ts:1:1)'))
        : real.runMoleculeJobThreaded(...args)) as typeof real.runMoleculeJobThreaded,
  };
});

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-robust-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCN(CC)CC', 'C1CCCCC1', 'OC(=O)c1ccccc1', 'CCCl', 'c1ccncc1', 'C1CC'];
function writeCsv(name: string, n = 120): string {
  const file = join(dir, name);
  writeFileSync(file, `smiles,active\n${Array.from({ length: n }, (_, i) => `${SMALL[i % SMALL.length]},${i % 2}`).join('\n')}\n`);
  return file;
}
const cacheFiles = (cacheDir: string, prefix: string) =>
  existsSync(join(cacheDir, 'features')) ? readdirSync(join(cacheDir, 'features')).filter((f) => f.startsWith(prefix) && !f.endsWith('.part')) : [];

/** Flips one byte at `at` (negative: from the end), keeping the size. */
function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] ^= 0xff;
  writeFileSync(path, bytes);
}

describe('a damaged feature cache', () => {
  for (const [where, at] of [['in the bits', -1], ['in the row statuses', -1], ['in the header', 60]] as const) {
    it(`with a byte flipped ${where} is recomputed with a note, never used`, async () => {
      const cacheDir = join(dir, `cache-${where.replace(/ /g, '-')}`);
      const data = writeCsv(`flip-${where.replace(/ /g, '-')}.csv`);
      const first = await loadTox21({ data, cacheDir, threads: 1 });
      const [file] = cacheFiles(cacheDir, 'ecfp');
      const path = join(cacheDir, 'features', file);
      // The statuses sit before the offsets: find a row status byte by its value pattern (1 = unsanitized never
      // occurs here, so flipping an OK row's 0 to 0xff is a status no row may have).
      if (where === 'in the row statuses') flipByte(path, readFileSync(path).indexOf(Buffer.from([MOL_OK, MOL_OK, MOL_OK, MOL_OK, MOL_OK, MOL_OK, MOL_OK, MOL_OK, MOL_FAILED])));
      else flipByte(path, at);
      const second = await loadTox21({ data, cacheDir, threads: 1 });
      expect(second.report.cached).toBe(false);
      expect(second.report.cacheNote).toMatch(/^the feature cache .* was not used \(its checksum does not match: the file is damaged\); recomputed$/);
      expect(second.dataset.features).toEqual(first.dataset.features);
      expect(second.report.failed).toBe(first.report.failed);
      const third = await loadTox21({ data, cacheDir, threads: 1 }); // rewritten whole
      expect([third.report.cached, third.report.cacheNote]).toEqual([true, undefined]);
    });
  }

  it('the scaffold cache too', async () => {
    const cacheDir = join(dir, 'cache-scaffold');
    const data = writeCsv('flip-scaffold.csv');
    const first = await loadTox21({ data, cacheDir, threads: 1, split: 'scaffold' });
    const [file] = cacheFiles(cacheDir, 'murcko');
    const path = join(cacheDir, 'features', file);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('c1ccccc1', 'c1ccncc1')); // a valid JSON, same size, another scaffold
    const second = await loadTox21({ data, cacheDir, threads: 1, split: 'scaffold' });
    expect(second.report.cacheNote).toMatch(/murcko-.* was not used \(its checksum does not match/);
    expect(Array.from(second.split.train)).toEqual(Array.from(first.split.train));
  });

  it('the CLI says so in one line on stderr and goes on', async () => {
    const cacheHome = join(dir, 'xdg');
    const data = writeCsv('cli.csv');
    const run = () => runMain(['tox21', 'data', '--data', data, '--threads', '1'], { cacheHome });
    expect((await run()).code).toBe(0);
    const [file] = cacheFiles(join(cacheHome, 'shadergrad'), 'ecfp');
    flipByte(join(cacheHome, 'shadergrad', 'features', file), -3);
    const { code, err } = await run();
    expect(code).toBe(0);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^shadergrad tox21 data: the feature cache .* checksum does not match.*recomputed\n$/);
  });
});

describe('only complete results are cached', () => {
  it('a result with a failed row that has no reason, or a row without an outcome, is refused', () => {
    const bits = { nBits: 8, offsets: new Uint32Array([0, 1, 1]), indices: new Uint16Array([3]) };
    const path = join(dir, 'refused.bin');
    expect(() => writeEcfpCache(path, 'k', { bits, status: new Uint8Array([MOL_OK, MOL_FAILED]), reasons: [null, null] })).toThrow(/incomplete.*row 1 failed without a reason/);
    expect(() => writeEcfpCache(path, 'k', { bits, status: new Uint8Array([MOL_OK, 7]), reasons: [null, null] })).toThrow(/row 1 has no outcome/);
    expect(existsSync(path)).toBe(false);
  });

  it('a featurizing run that stops fails the load in one line, and nothing is cached', async () => {
    const cacheDir = join(dir, 'cache-lost');
    const data = writeCsv('lost.csv');
    failThreads.on = true;
    try {
      const e = await loadTox21({ data, cacheDir, threads: 2 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DataFileError);
      expect((e as Error).message).toMatch(/lost\.csv: featurizing stopped: molecule worker 1 died while computing rows 0–255 \(exit code 1\); nothing was cached$/);
    } finally {
      failThreads.on = false;
    }
    expect(cacheFiles(cacheDir, 'ecfp')).toEqual([]);
  });
});
