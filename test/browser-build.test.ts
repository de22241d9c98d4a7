/**
 * `npm run build` as a consumer meets it: the browser bundle with its workers, the wasm and the pages; declarations
 * whose imports resolve without `.ts` extensions; and the Node bundle, imported from dist/ and run — a matmul on
 * Dawn, featurizing on worker threads (molecule-worker.js beside it) and a forest on worker threads (tree-worker.js)
 * — with shaders embedded, so dist/ works without the repository's shaders/ folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type BuildResult } from '../scripts/build.mjs';
import { OUTPUT } from './helpers/browser.ts';

let outdir: string;
let built: BuildResult;

beforeAll(async () => {
  // Inside the checkout (test-output/ is ignored), so the Node bundle's packages resolve from node_modules.
  mkdirSync(OUTPUT, { recursive: true });
  outdir = mkdtempSync(join(OUTPUT, 'build-'));
  built = await build({ outdir, types: true });
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

function declarations(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.d.ts'))
    .map((d) => join(d.parentPath, d.name));
}

describe('npm run build', () => {
  it('lays out the browser bundle, its workers, RDKit’s wasm and the pages', () => {
    for (const f of ['shadergrad.browser.js', 'dataset-worker.browser.js', 'tree-worker.browser.js', 'RDKit_minimal.wasm', 'web/index.html', 'web/app.js', 'web/study-worker.js', 'web/bench.html', 'web/bench.js']) {
      expect(built.files, f).toContain(f);
    }
    const lib = readFileSync(join(outdir, 'shadergrad.browser.js'), 'utf8');
    // Every shader is embedded, and the page loads the library as a sibling file rather than bundling a copy.
    for (const s of ['matmul', 'unary', 'binary', 'reduce', 'xent', 'dropout', 'optim']) expect(lib).toContain(`"${s}": "`);
    expect(readFileSync(join(outdir, 'web/app.js'), 'utf8')).toMatch(/from\s*"\.\.\/shadergrad\.browser\.js"/);
    expect(lib).not.toMatch(/^import .* from\s*"node:/m);
  });

  it('emits declarations for both entries with extensionless-resolvable imports', () => {
    const types = join(outdir, 'types');
    expect(existsSync(join(types, 'src/browser/index.d.ts'))).toBe(true);
    expect(existsSync(join(types, 'src/node-api.d.ts'))).toBe(true);
    expect(readFileSync(join(types, 'src/browser/index.d.ts'), 'utf8')).toContain("export { loadDatasetInWorker");
    const withTs = declarations(types).filter((f) => /from\s*['"]\.{1,2}\/[^'"]+\.ts['"]/.test(readFileSync(f, 'utf8')));
    expect(withTs).toEqual([]);
  });

  it('ships a Node bundle that trains, featurizes and grows trees from dist/', async () => {
    // A shaders/ folder that does not exist: the bundle must use the WGSL embedded in it.
    const saved = process.env.SHADERGRAD_SHADER_DIR;
    process.env.SHADERGRAD_SHADER_DIR = join(outdir, 'no-shaders-here');
    let sg;
    let be;
    try {
      sg = await import(pathToFileURL(join(outdir, 'shadergrad.node.js')).href);
      be = await sg.createBackend({ backend: 'webgpu' });
    } finally {
      if (saved === undefined) delete process.env.SHADERGRAD_SHADER_DIR;
      else process.env.SHADERGRAD_SHADER_DIR = saved;
    }
    const a = sg.Tensor.from(be, [1, 2, 3, 4], [2, 2]);
    expect(Array.from(await sg.matmul(a, a).data())).toEqual([7, 10, 15, 22]);
    const smiles = Array.from({ length: 300 }, (_, i) => (i % 2 ? 'c1ccccc1O' : 'CCN'));
    const run = await sg.runMoleculeJobThreaded({ kind: 'ecfp', params: sg.ECFP4_1024 }, smiles, 1, { callerWorks: false });
    expect(run.threads).toBe(1); // one worker thread, none in the caller: the worker file beside the bundle ran
    expect(sg.sparseRows(run.result.bits)).toBe(300);
    const x = { nBits: 8, offsets: Uint32Array.from([0, 1, 2, 3, 4]), indices: Uint16Array.from([0, 1, 0, 1]) };
    const forest = await sg.fitForest(x, [0, 1, 0, 1], { nEstimators: 4, seed: 0, threads: 2 });
    expect(Array.from(forest.predict(x))).toEqual([0, 1, 0, 1]);
  });
});
