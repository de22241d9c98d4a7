import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../src/data/csv.ts';
import { readDataFile } from '../src/data/data-file.ts';
import { ecfpOfSmiles } from '../src/data/ecfp.ts';
import { cacheKey, contentHash, ecfpCachePath, readEcfpCache, writeEcfpCache } from '../src/data/feature-cache.ts';
import { readMoleculeTable } from '../src/data/molecule-table.ts';
import { runMoleculeJobThreaded } from '../src/data/molecule-threads.ts';
import { murckoScaffolds } from '../src/data/murcko.ts';
import { MOL_FAILED, MOL_OK, MOL_UNSANITIZED, type RDKitModule } from '../src/data/parse-molecule.ts';
import { loadRDKit } from '../src/data/rdkit-node.ts';
import { concatRows, selectRows, type SparseBits } from '../src/data/sparse-bits.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const data = resolve(repoRoot, '../shared/data/tox21.csv.gz');
const dir = mkdtempSync(join(tmpdir(), 'shadergrad-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let rdkit: RDKitModule;
beforeAll(async () => {
  rdkit = await loadRDKit();
});

const rowBits = (s: SparseBits, r: number) => Array.from(s.indices.subarray(s.offsets[r], s.offsets[r + 1]));

describe('ECFP4 featurizer core', () => {
  it('gives set bits ascending, and a status per row: ok, unsanitized, failed with a reason', () => {
    const r = ecfpOfSmiles(rdkit, ['CCO', 'O=CO[AlH3](OC=O)OC=O', 'C1CC', '', 'CCO']);
    expect(Array.from(r.status)).toEqual([MOL_OK, MOL_UNSANITIZED, MOL_FAILED, MOL_FAILED, MOL_OK]);
    expect(r.reasons).toEqual([null, null, 'RDKit cannot parse the SMILES, even without sanitization', 'empty SMILES', null]);
    const ethanol = rowBits(r.bits, 0);
    expect(ethanol.length).toBeGreaterThan(3);
    expect(ethanol).toEqual([...ethanol].sort((a, b) => a - b));
    expect(rowBits(r.bits, 4)).toEqual(ethanol);
    expect(rowBits(r.bits, 1).length).toBeGreaterThan(0);
    expect(rowBits(r.bits, 2)).toEqual([]);
    expect(rowBits(r.bits, 3)).toEqual([]);
  });

  it('matches RDKit’s own bit-string output', () => {
    const smiles = ['c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'C[C@H](N)C(=O)O'];
    const r = ecfpOfSmiles(rdkit, smiles, { radius: 2, nBits: 2048 });
    smiles.forEach((s, i) => {
      const mol = rdkit.get_mol(s)!;
      const text = mol.get_morgan_fp(JSON.stringify({ radius: 2, nBits: 2048 }));
      mol.delete();
      const expected = [...text].flatMap((c, b) => (c === '1' ? [b] : []));
      expect(rowBits(r.bits, i)).toEqual(expected);
    });
  });

  it('worker threads give the same result as the calling thread', async () => {
    const file = readDataFile(data);
    const smiles = readMoleculeTable(parseCsv(file.text, data), data).smiles.slice(1200, 1900); // holds row 1322
    const job = { kind: 'ecfp', params: { radius: 2, nBits: 1024 } } as const;
    const one = await runMoleculeJobThreaded(job, smiles, 1);
    // Workers only, so the worker path is what runs (with the caller working, a warm caller may finish first).
    const two = await runMoleculeJobThreaded(job, smiles, 2, { callerWorks: false });
    expect(one.threads).toBe(1);
    expect(two.note).toBeUndefined(); // no fallback: every chunk came from a worker
    expect(two.threads).toBeGreaterThanOrEqual(1);
    expect(two.result.status).toEqual(one.result.status);
    expect(two.result.bits.offsets).toEqual(one.result.bits.offsets);
    expect(two.result.bits.indices).toEqual(one.result.bits.indices);
    expect(one.result.status[122]).toBe(MOL_UNSANITIZED);
  });
});

describe('sparse rows', () => {
  it('concatRows stacks parts and selectRows picks rows back out', () => {
    const a: SparseBits = { nBits: 8, offsets: Uint32Array.from([0, 2, 2]), indices: Uint16Array.from([1, 5]) };
    const b: SparseBits = { nBits: 8, offsets: Uint32Array.from([0, 1, 4]), indices: Uint16Array.from([7, 0, 2, 3]) };
    const c = concatRows([a, b]);
    expect(Array.from(c.offsets)).toEqual([0, 2, 2, 3, 6]);
    expect(Array.from(c.indices)).toEqual([1, 5, 7, 0, 2, 3]);
    const picked = concatRows([selectRows(c, [3]), selectRows(c, [0])]);
    expect([rowBits(picked, 0), rowBits(picked, 1)]).toEqual([[0, 2, 3], [1, 5]]);
    expect(() => concatRows([a, { ...b, nBits: 16 }])).toThrow(/nBits differ/);
  });
});

describe('feature cache', () => {
  const result = () => ecfpOfSmiles(rdkit, ['CCO', 'C1CC', 'c1ccccc1']);

  it('round-trips bits, status and failure reasons under its key', () => {
    const r = result();
    const key = cacheKey(contentHash(new TextEncoder().encode('file')), 'ecfp', { radius: 2, nBits: 1024 }, '2026.9.1');
    const path = ecfpCachePath(dir, { radius: 2, nBits: 1024 }, key);
    writeEcfpCache(path, key, r);
    const back = readEcfpCache(path, key)!;
    expect(back.status).toEqual(r.status);
    expect(back.bits).toEqual(r.bits);
    expect(back.reasons).toEqual(r.reasons);
  });

  it('misses for another key, and for a damaged file', () => {
    const r = result();
    const k = (content: string, nBits = 1024, version = '2026.9.1') =>
      cacheKey(contentHash(new TextEncoder().encode(content)), 'ecfp', { radius: 2, nBits }, version);
    expect(new Set([k('a'), k('b'), k('a', 2048), k('a', 1024, '2027.3.1')]).size).toBe(4);
    const path = join(dir, 'damaged.bin');
    writeEcfpCache(path, k('a'), r);
    expect(readEcfpCache(path, k('b'))).toBeNull();
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 2));
    expect(readEcfpCache(path, k('a'))).toBeNull();
    writeFileSync(path, 'not a cache');
    expect(readEcfpCache(path, k('a'))).toBeNull();
    expect(readEcfpCache(join(dir, 'absent.bin'), k('a'))).toBeNull();
  });
});

describe('Murcko scaffolds', () => {
  it('keep rings, linkers and exocyclic double bonds; drop side chains; H replaces a lost bond', () => {
    const cases: [string, string | null][] = [
      ['CC(C)Cc1ccc(cc1)C(C)C(=O)O', 'c1ccccc1'], // ibuprofen
      ['Cn1cccc1', 'c1cc[nH]c1'], // the aromatic N gets its H back
      ['O=C1CCCC1C', 'O=C1CCCC1'], // ring carbonyl stays
      ['c1ccccc1Cc1ccccc1', 'c1ccc(Cc2ccccc2)cc1'], // linker stays
      ['c1ccccc1C(=O)c1ccccc1', 'O=C(c1ccccc1)c1ccccc1'], // carbonyl on a linker stays
      ['C[C@H]1CC[C@@H](C)CC1', 'C1CCCCC1'], // no stereo in scaffolds
      ['[Na+].[O-]C(=O)c1ccccc1', 'c1ccccc1'], // counter-ion dropped
      ['CN1C(=O)NC(c2ccccc2)C1=O', 'O=C1NC(=O)C(c2ccccc2)N1'],
      ['CCCC', ''], // acyclic: the empty scaffold
      ['C1CC', null], // unparseable
    ];
    expect(murckoScaffolds(rdkit, cases.map((c) => c[0]))).toEqual(cases.map((c) => c[1]));
  });
});
