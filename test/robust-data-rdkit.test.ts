// Issue 23, point 1: an RDKit crash must not poison later rows. A SMILES of a 1,000-atom chain makes RDKit's wasm
// overflow its stack ("memory access out of bounds"); before the fix the broken module was kept, so every later
// row of that thread failed as "cannot parse". Now the size limits refuse such a molecule before RDKit sees it, and
// when RDKit crashes anyway (the limits lifted here to make it crash for real) that row fails with the reason and a
// fresh instance takes the next rows — on the calling thread and in worker threads. A ring system that overflows
// RDKit's stack without any error (it used to break every later row) is caught the same way. A 10 MB SMILES is
// refused by length before RDKit (it used to hang for minutes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ECFP4_1024 } from '../src/data/ecfp.ts';
import { DEFAULT_LIMITS, countSmilesAtoms } from '../src/data/molecule-limits.ts';
import { runMoleculeJob } from '../src/data/molecule-jobs.ts';
import { runMoleculeJobThreaded } from '../src/data/molecule-threads.ts';
import { MOL_FAILED, MOL_OK } from '../src/data/parse-molecule.ts';
import { RDKitCrashError } from '../src/data/rdkit-crash.ts';
import { loadRDKit } from '../src/data/rdkit-node.ts';
import { loadTox21 } from '../src/data/tox21.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-robust-rdkit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCN(CC)CC', 'C1CCCCC1', 'OC(=O)c1ccccc1', 'CCCl', 'c1ccncc1'];
const CHAIN = 'C'.repeat(1000);
/** `n` small molecules with `odd` put at row `at`. */
const smilesWith = (n: number, at: number, odd: string) => Array.from({ length: n }, (_, i) => (i === at ? odd : SMALL[i % SMALL.length]));
const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
const csvOf = (smiles: string[]) => `smiles,active\n${smiles.map((s, i) => `${s},${i % 2}`).join('\n')}\n`;
/** Limits lifted so that the chain reaches RDKit and crashes it. */
const NO_LIMITS = { maxSmilesLength: Infinity, maxAtoms: Infinity };

describe('a molecule that crashes RDKit', () => {
  it('fails alone: 300 rows with one 1,000-atom chain give 299 featurized + 1 failed, by the atom limit', async () => {
    const file = join(dir, 'chain.csv');
    writeFileSync(file, csvOf(smilesWith(300, 3, CHAIN)));
    const { report, dataset } = await loadTox21({ data: file, cacheDir: join(dir, 'cache'), threads: 1 });
    expect([report.rows, report.featurized, report.failed]).toEqual([300, 299, 1]);
    expect(report.failures[0].row).toBe(3);
    expect(report.failures[0].reason).toMatch(/1000 atoms.*limit of 500/);
    expect(dataset.smiles.length).toBe(299);
  });

  it('with the limits lifted RDKit really crashes; that row fails with the reason and a fresh instance goes on (calling thread)', async () => {
    const smiles = smilesWith(300, 3, CHAIN);
    const { result } = await runMoleculeJobThreaded({ kind: 'ecfp', params: ECFP4_1024, limits: NO_LIMITS }, smiles, 1);
    expect(result.status[3]).toBe(MOL_FAILED);
    expect(result.reasons[3]).toMatch(/RDKit crashed.*memory access out of bounds/);
    expect(Array.from(result.status).filter((s) => s === MOL_OK).length).toBe(299);
    // The module this thread now holds works.
    const after = runMoleculeJob(await loadRDKit(), { kind: 'ecfp', params: ECFP4_1024 }, ['CCO']);
    expect(after.status[0]).toBe(MOL_OK);
  });

  it('the same in worker threads, twice in one chunk, and for the scaffold job', async () => {
    // Row 4 is the first row the fresh RDKit after row 3's crash sees: an overflow deep into a used instance may loop
    // instead of trapping, depending on what its memory holds (even on the program's path, which Emscripten copies in),
    // and a worker that stops answering is stopped by the pool's per-chunk time limit — not what this test checks.
    const smiles = smilesWith(600, 3, CHAIN);
    smiles[4] = `c1ccccc1${CHAIN}`;
    const ecfp = await runMoleculeJobThreaded({ kind: 'ecfp', params: ECFP4_1024, limits: NO_LIMITS }, smiles, 2, { callerWorks: false });
    const failed = Array.from(ecfp.result.status).flatMap((s, r) => (s === MOL_FAILED ? [r] : []));
    expect(failed).toEqual([3, 4]);
    for (const r of failed) expect(ecfp.result.reasons[r]).toMatch(/RDKit crashed/);
    const scaf = await runMoleculeJobThreaded({ kind: 'scaffold', limits: NO_LIMITS }, smiles, 2, { callerWorks: false });
    expect(scaf.result.scaffolds.flatMap((s, r) => (s === null ? [r] : []))).toEqual([3, 4]);
    expect(scaf.result.scaffolds[1]).toBe('c1ccccc1');
  });

  it('a silent stack overflow (200 rings, taking the scaffold) is caught too: that row fails, the next rows are right', async () => {
    const rings = 'C1CC1'.repeat(200);
    const { result } = await runMoleculeJobThreaded({ kind: 'scaffold', limits: NO_LIMITS }, [rings, 'c1ccccc1O', 'CCc1ccncc1', 'CCO'], 1);
    expect(result.scaffolds).toEqual([null, 'c1ccccc1', 'c1ccncc1', '']);
    const after = runMoleculeJob(await loadRDKit(), { kind: 'ecfp', params: ECFP4_1024 }, ['CCO', 'c1ccccc1O']);
    expect(Array.from(after.status)).toEqual([MOL_OK, MOL_OK]);
    const { report } = await loadTox21({ data: write('rings.csv', csvOf(smilesWith(40, 2, rings))), cacheDir: join(dir, 'cache'), threads: 1 });
    expect([report.featurized, report.failed, report.failures[0].reason]).toEqual([39, 1, 'molecule of 600 atoms, over the limit of 500 per molecule (not passed to RDKit)']);
  });

  it('the plain synchronous job never goes on with a crashed module: it throws, and loadRDKit then gives a fresh one', async () => {
    const rdkit = await loadRDKit();
    let crash: unknown;
    try {
      runMoleculeJob(rdkit, { kind: 'ecfp', params: ECFP4_1024, limits: NO_LIMITS }, ['CCO', CHAIN, 'CCO']);
    } catch (e) {
      crash = e;
    }
    expect(crash).toBeInstanceOf(RDKitCrashError);
    expect((crash as RDKitCrashError).row).toBe(1);
    const fresh = await loadRDKit();
    expect(fresh).not.toBe(rdkit);
    expect(runMoleculeJob(fresh, { kind: 'ecfp', params: ECFP4_1024 }, ['CCO']).status[0]).toBe(MOL_OK);
  });
});

describe('size limits', () => {
  it('are far above every Tox21 molecule (342 characters, 132 atoms at most)', () => {
    expect(DEFAULT_LIMITS.maxSmilesLength).toBeGreaterThanOrEqual(10 * 342);
    expect(DEFAULT_LIMITS.maxAtoms).toBeGreaterThanOrEqual(3 * 132);
  });

  it('count atoms as RDKit does, brackets and two-letter elements included', async () => {
    const rdkit = await loadRDKit();
    for (const s of ['CCO', 'Clc1ccccc1Br', '[NH4+].[Cl-]', 'O=CO[AlH3](OC=O)OC=O', 'C[C@H](N)C(=O)O', '[2H]OC', '*CC*', 'c1ccc2ccccc2c1', 'B(O)(O)O']) {
      const mol = rdkit.get_mol(s, '{"sanitize":false}')!;
      expect(countSmilesAtoms(s), s).toBe(mol.get_num_atoms());
      mol.delete();
    }
  });

  it('a 10 MB SMILES is a failed row, refused by length before RDKit', async () => {
    const file = join(dir, 'huge.csv');
    writeFileSync(file, csvOf(smilesWith(20, 5, 'C'.repeat(10_000_000))));
    const { report } = await loadTox21({ data: file, cacheDir: join(dir, 'cache'), threads: 1 });
    expect([report.rows, report.featurized, report.failed]).toEqual([20, 19, 1]);
    expect(report.failures[0].reason).toMatch(/10000000 characters.*limit of 5000/);
    expect(report.failures[0].smiles.length).toBeLessThan(120); // echoed clipped, never whole
  }, 20_000);
});
