// The published package as a new user gets it: `npm pack` (whose prepack runs the build) and the tarball installed
// into a fresh project with `npm install --omit=dev`, then used there without anything from this repository —
// imported from Node to train XOR on the CPU and on WebGPU, worker threads started from dist/, the README's Install
// example run as written, the `shadergrad` command through npx, its types seen by tsc for Node and for browsers, and
// a browser app bundled by esbuild from `import … from 'shadergrad'` running in headless Chromium.
//
// The install runs with --ignore-scripts: on Linux the only install script among the dependencies is better-sqlite3's
// native build (minutes of compiling here), which nothing below loads — and so this also checks that importing the
// package and running these commands does not need it. Dependencies come from npm's cache when it has them.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../scripts/chromium.mjs';
import { serve } from '../scripts/serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOX21 = resolve(ROOT, '../shared/data/tox21.csv.gz');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const exec = promisify(execFile);

interface PackedFile {
  path: string;
  size: number;
}
interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

let work = '';
let project = '';
let packed: PackReport;

/** Runs a command in the installed project; rejects with its stderr when it fails. */
async function inProject(cmd: string, args: string[], timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, {
      cwd: project,
      timeout,
      maxBuffer: 64 << 20,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', XDG_CACHE_HOME: join(work, 'cache') },
    });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ').slice(0, 200)} failed: ${err.stderr || err.message}\n${err.stdout ?? ''}`);
  }
}

/** Evaluates an ES module in the project with `node -e`; resolves with what it printed. */
async function nodeEval(code: string): Promise<string> {
  return (await inProject(process.execPath, ['--input-type=module', '-e', code])).stdout;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'shadergrad-package-'));
  project = join(work, 'app');
  mkdirSync(project);
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, timeout: 240_000, maxBuffer: 64 << 20 });
  // prepack's output precedes the JSON on stdout.
  packed = (JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as PackReport[])[0];
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'new-user-app', private: true, type: 'module' }, null, 2)}\n`);
  await inProject('npm', ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], 240_000);
}, 480_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds dist/ (bundles, workers, wasm, declarations), README and LICENSE, and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths.length).toBe(packed.entryCount);
    const outside = paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(p));
    expect(outside).toEqual([]);
    expect(paths.filter((p) => /\.map$|(^|\/)test(s)?\/|\.test\.|fixture|^dist\/web\//.test(p))).toEqual([]);
    for (const p of [
      'LICENSE', 'README.md', 'dist/cli.js', 'dist/shadergrad.node.js', 'dist/shadergrad.browser.js', 'dist/molecule-worker.js',
      'dist/tree-worker.js', 'dist/worker-boot.mjs', 'dist/RDKit_minimal.wasm',
      'dist/types/src/node-api.d.ts', 'dist/types/src/browser/index.d.ts',
    ]) expect(paths, p).toContain(p);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/shadergrad/package.json'), 'utf8'));
    expect(pkg.bin.shadergrad).toBe('dist/cli.js');
    expect(readFileSync(join(project, 'node_modules/shadergrad/dist/cli.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Installed without devDependencies: no TypeScript loader and no bundler came with it.
    expect(() => readFileSync(join(project, 'node_modules/tsx/package.json'))).toThrow();
    expect(() => readFileSync(join(project, 'node_modules/esbuild/package.json'))).toThrow();
  });
});

describe('imported from Node', () => {
  it('trains XOR on the CPU backend and on WebGPU', async () => {
    const out = await nodeEval(`
      import { createBackend, Mlp, Adam, Tensor, tidy, sigmoidCrossEntropy, sigmoid } from 'shadergrad';
      const out = {};
      for (const backend of ['cpu', 'webgpu']) {
        const be = await createBackend({ backend });
        const X = Tensor.from(be, [0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
        const y = Tensor.from(be, [0, 1, 1, 0], [4, 1]);
        const w = Tensor.from(be, [1, 1, 1, 1], [4, 1]);
        const net = new Mlp(be, { inputs: 2, nHidden: 8, nLayers: 1, outputs: 1, activation: 'tanh', seed: 3 }).train();
        const opt = new Adam(net.parameters(), { lr: 0.05 });
        for (let step = 0; step < 400; step++) {
          tidy(() => { opt.zeroGrad(); sigmoidCrossEntropy(net.forward(X), y, w, 'mean').backward(); opt.step(); });
        }
        const p = tidy(() => sigmoid(net.eval().forward(X)));
        out[backend] = { kind: be.kind, p: Array.from(await p.data()) };
      }
      console.log(JSON.stringify(out));`);
    const r = JSON.parse(out) as Record<string, { kind: string; p: number[] }>;
    for (const backend of ['cpu', 'webgpu']) {
      expect(r[backend].kind).toBe(backend);
      expect(r[backend].p.map((v) => Math.round(v)), backend).toEqual([0, 1, 1, 0]);
    }
  });

  it('featurizes molecules and grows forest trees on worker threads started from dist/', async () => {
    const out = await nodeEval(`
      import { runMoleculeJobThreaded, ECFP4_1024, TreePool } from 'shadergrad';
      const smiles = Array.from({ length: 600 }, (_, i) => ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCN(CC)CC'][i % 4]);
      // callerWorks: false — the workers compute every chunk, so each one that answers proves a worker thread ran.
      const ecfp = await runMoleculeJobThreaded({ kind: 'ecfp', params: ECFP4_1024 }, smiles, 2, { callerWorks: false });
      const rows = 64, cols = 8, values = new Float32Array(rows * cols), y = [];
      for (let i = 0; i < rows; i++) { for (let j = 0; j < cols; j++) values[i * cols + j] = (i * 7 + j * 3) % 5; y.push(values[i * cols] > 2 ? 1 : 0); }
      const pool = new TreePool(2);
      const forest = await pool.fit({ rows, cols, values }, y, { nEstimators: 8, seed: 1 });
      const grown = pool.treesPerThread;
      await pool.close();
      console.log(JSON.stringify({ threads: ecfp.threads, note: ecfp.note ?? null, rows: ecfp.result.status.length, failed: ecfp.result.status.filter((s) => s !== 0).length, grown, p: Array.from(forest.predict({ rows, cols, values })).slice(0, 8) }));`);
    const r = JSON.parse(out);
    expect(r.note).toBeNull();
    expect(r.threads).toBe(2);
    expect(r.rows).toBe(600);
    expect(r.failed).toBe(0);
    expect(r.grown[0] + r.grown[1]).toBe(8);
    expect(r.grown[1]).toBeGreaterThan(0);
  });

  it("runs the README's Install example as written and prints what its comment says", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = /^## Install\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
    if (!section) throw new Error('README.md has no "## Install" section');
    expect(section).toContain('npm install shadergrad');
    const example = /```(?:js|ts|javascript)\n([\s\S]*?)```/.exec(section)?.[1];
    if (!example) throw new Error('the README\'s Install section has no ```js example');
    expect(example).toMatch(/from 'shadergrad'/);
    const printed = (await nodeEval(example)).trim();
    const promised = /console\.log\(.*\/\/\s*(.+)$/m.exec(example)?.[1].trim();
    if (promised) expect(printed).toBe(promised);
    else expect(printed.length).toBeGreaterThan(0);
  });
});

describe('the shadergrad command', () => {
  it('npx shadergrad --help lists the commands', async () => {
    const { stdout } = await inProject('npx', ['shadergrad', '--help']);
    expect(stdout).toMatch(/^usage: shadergrad <command>/);
    for (const c of ['demo', 'bench', 'tox21 data', 'tox21 rf', 'tox21 fcn', 'tox21 study']) expect(stdout).toContain(`  ${c} `);
  });

  it('tox21 data --json featurizes Tox21 on two threads', async () => {
    const { stdout } = await inProject('npx', ['shadergrad', 'tox21', 'data', '--data', TOX21, '--threads', '2', '--json'], 240_000);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const j = JSON.parse(lines[0]);
    expect(j).toMatchObject({ rows: 7831, featurized: 7831, cached: false, threads: 2 });
  }, 240_000);

  it('bench --peers reports tfjs as not measured when it is not installed', async () => {
    const { stdout } = await inProject('npx', ['shadergrad', 'bench', '--peers', '--filter', 'dispatch', '--json']);
    const report = JSON.parse(stdout);
    const tfjs = report.peers.find((p: { impl: string }) => p.impl === 'tfjs-webgpu');
    expect(tfjs.available).toBe(false);
    expect(tfjs.note).toContain('not measured: install @tensorflow/tfjs-core and @tensorflow/tfjs-backend-webgpu');
    expect(report.results.length).toBeGreaterThan(0);
  });
});

describe('its types', () => {
  function tsProject(name: string, compilerOptions: object, source: string): string {
    const dir = join(project, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'check.ts'), source);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', ...compilerOptions }, files: ['check.ts'] }));
    return dir;
  }

  it('tsc sees the Node entry (nodenext) and the browser entry (bundler, browser condition)', async () => {
    // A Node project has @types/node; it comes from this repository, as the app installed only shadergrad.
    const node = tsProject('ts-node', { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }, `
import { createBackend, loadTox21, Tensor, matmul, type Backend } from 'shadergrad';
const be: Backend = await createBackend({ backend: 'cpu' });
const t: Tensor = matmul(Tensor.from(be, [1, 2, 3, 4], [2, 2]), Tensor.from(be, [1, 0, 0, 1], [2, 2]));
const values: Float32Array | Float64Array = await t.data();
// @ts-expect-error: 'gpu' is not a backend kind; the package's types must reject it
await createBackend({ backend: 'gpu' });
export { values, loadTox21 };
`);
    // A browser project: no Node types at all, and the browser-only API resolves.
    const browser = tsProject('ts-browser', { module: 'esnext', moduleResolution: 'bundler', customConditions: ['browser'], lib: ['es2022', 'dom'], types: [] }, `
import { createBackend, loadDatasetInWorker, Tensor } from 'shadergrad';
const be = await createBackend();
const device: GPUDevice | undefined = be.kind === 'webgpu' ? (be as { device?: GPUDevice }).device : undefined;
export { device, loadDatasetInWorker, Tensor };
`);
    await Promise.all([node, browser].map((dir) => inProject(process.execPath, [TSC, '-p', dir])));
  });
});

describe('bundled for a browser', () => {
  it("esbuild bundles an app importing 'shadergrad' and it trains XOR on WebGPU in headless Chromium", async () => {
    writeFileSync(join(project, 'app.js'), `
import { createBackend, Mlp, Adam, Tensor, tidy, sigmoidCrossEntropy, sigmoid } from 'shadergrad';
try {
  const be = await createBackend({ backend: 'webgpu' });
  const X = Tensor.from(be, [0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
  const y = Tensor.from(be, [0, 1, 1, 0], [4, 1]);
  const w = Tensor.from(be, [1, 1, 1, 1], [4, 1]);
  const net = new Mlp(be, { inputs: 2, nHidden: 8, nLayers: 1, outputs: 1, activation: 'tanh', seed: 3 }).train();
  const opt = new Adam(net.parameters(), { lr: 0.05 });
  for (let step = 0; step < 400; step++) tidy(() => { opt.zeroGrad(); sigmoidCrossEntropy(net.forward(X), y, w, 'mean').backward(); opt.step(); });
  const p = tidy(() => sigmoid(net.eval().forward(X)));
  document.body.dataset.result = JSON.stringify({ kind: be.kind, p: Array.from(await p.data(), (v) => Math.round(v)) });
} catch (e) {
  document.body.dataset.result = JSON.stringify({ error: String(e && e.stack || e) });
}
`);
    const built = await esbuild.build({
      absWorkingDir: project,
      entryPoints: ['app.js'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      outdir: join(project, 'web'),
      logLevel: 'silent',
    });
    expect(built.errors).toEqual([]);
    expect(built.outputFiles.length).toBe(1);

    // Served from memory; the folder served is the installed dist/ (the server insists on a shadergrad build there).
    const server = await serve({
      root: join(project, 'node_modules/shadergrad/dist'),
      port: 0,
      routes: {
        '/app/index.html': '<!doctype html><html><body><script type="module" src="app.js"></script></body></html>\n',
        '/app/app.js': built.outputFiles[0].contents,
      },
    });
    let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
    try {
      chromium = await launchChromium({ webgpu: true });
      const page = await chromium.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/app/index.html`);
      await page.waitForFunction(() => document.body.dataset.result !== undefined, undefined, { timeout: 90_000 });
      const result = JSON.parse((await page.evaluate(() => document.body.dataset.result))!);
      expect(errors).toEqual([]);
      expect(result).toEqual({ kind: 'webgpu', p: [0, 1, 1, 0] });
    } finally {
      await chromium?.close();
      await server.close();
    }
  });
});
