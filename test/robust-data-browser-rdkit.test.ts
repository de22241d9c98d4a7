// The browser's RDKit loader (src/browser/rdkit-browser.ts) recovers from crashes as the Node one does: it fetches
// the wasm itself, so it holds the instance and watches RDKit's stack, and after a crash the next call loads a fresh
// instance. Run in Node against a loopback HTTP server serving the wasm, as a page's bundle folder would.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRDKitBrowser, RDKitLoadError } from '../src/browser/rdkit-browser.ts';
import { ECFP4_1024 } from '../src/data/ecfp.ts';
import { runMoleculeJobSafely } from '../src/data/molecule-jobs.ts';
import { MOL_FAILED, MOL_OK } from '../src/data/parse-molecule.ts';

const wasm = readFileSync(join(dirname(createRequire(import.meta.url).resolve('@rdkit/rdkit')), 'RDKit_minimal.wasm'));
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/RDKit_minimal.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end(wasm);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const NO_LIMITS = { maxSmilesLength: Infinity, maxAtoms: Infinity };

describe('loadRDKitBrowser', () => {
  it('a missing wasm is a load error naming the URL, not a wait for ever', async () => {
    await expect(loadRDKitBrowser(`${base}/missing.wasm`)).rejects.toThrow(RDKitLoadError);
    await expect(loadRDKitBrowser(`${base}/missing.wasm`)).rejects.toThrow(/could not load RDKit's wasm from http:.*missing\.wasm: HTTP 404/);
  });

  it('after a crash, and after a silent stack overflow, the next call gives a fresh instance', async () => {
    const url = `${base}/RDKit_minimal.wasm`;
    const load = () => loadRDKitBrowser(url);
    const first = await load();
    const ecfp = await runMoleculeJobSafely(load, { kind: 'ecfp', params: ECFP4_1024, limits: NO_LIMITS }, ['CCO', 'C'.repeat(1000), 'c1ccccc1O']);
    expect(Array.from(ecfp.status)).toEqual([MOL_OK, MOL_FAILED, MOL_OK]);
    expect(ecfp.reasons[1]).toMatch(/RDKit crashed/);
    const second = await load();
    expect(second).not.toBe(first);
    const scaf = await runMoleculeJobSafely(load, { kind: 'scaffold', limits: NO_LIMITS }, ['C1CC1'.repeat(200), 'c1ccccc1O']);
    expect(scaf.scaffolds).toEqual([null, 'c1ccccc1']);
    expect(await load()).not.toBe(second);
  });
});
