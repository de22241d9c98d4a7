#!/usr/bin/env node
/**
 * `npm run build`: the library as ES modules for browsers and for Node, the training page and the bench page, and
 * (unless --no-types) type declarations. Layout of dist/:
 *   shadergrad.browser.js       src/browser/index.ts; WGSL embedded and registered on import
 *   dataset-worker.browser.js   Web Worker that reads and featurizes a molecule file (RDKit wasm)
 *   tree-worker.browser.js      Web Worker that grows forest trees (src/forest/tree-worker.ts, the Node one too)
 *   RDKit_minimal.wasm          copied from @rdkit/rdkit; the dataset worker finds it beside itself
 *   shadergrad.node.js          src/node-api.ts for Node (Dawn, worker threads); WGSL embedded too
 *   molecule-worker.js, tree-worker.js, pool-worker.js, worker-boot.mjs   the Node bundles' worker threads, beside
 *                               them; every thread starts from worker-boot.mjs (src/workers/), which imports its entry
 *   cli.js, cli-*.js            the `shadergrad` command (src/cli/main.ts) for plain Node, WGSL embedded; each command
 *                               a chunk loaded when run, so `--help` loads neither Dawn, RDKit nor a database driver
 *   web/                        index.html (Tox21 training page), bench.html; their scripts import ../shadergrad.browser.js
 *   types/                      declarations (tsc), entry types/src/browser/index.d.ts and types/src/node-api.d.ts
 * The browser outputs may import nothing from Node: a static `node:` import there fails the build, naming the file
 * that pulled it in. The Node outputs import their npm dependencies (webgpu, @rdkit/rdkit, better-sqlite3, pg, and
 * the optional bench peers) from node_modules at run time instead of bundling them. `npm pack` runs this (prepack);
 * package.json's `files` ships dist/ without its source maps and web/. Exported as `build()` for the browser tests,
 * which build into a temporary folder.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHADER_MODULE = 'virtual:shadergrad-shaders';
const LIBRARY_ENTRY = join(ROOT, 'src/browser/index.ts');

/** Every shaders/*.wgsl as one generated module `export const SHADERS = { name: text, … }`. */
const embedShaders = {
  name: 'embed-shaders',
  setup(b) {
    b.onResolve({ filter: /^virtual:shadergrad-shaders$/ }, () => ({ path: SHADER_MODULE, namespace: 'shaders' }));
    b.onLoad({ filter: /.*/, namespace: 'shaders' }, () => {
      const dir = join(ROOT, 'shaders');
      const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort();
      const entries = files.map((f) => `  ${JSON.stringify(f.slice(0, -5))}: ${JSON.stringify(readFileSync(join(dir, f), 'utf8'))},`);
      return { contents: `export const SHADERS = {\n${entries.join('\n')}\n};\n`, loader: 'js', watchFiles: files.map((f) => join(dir, f)) };
    });
  },
};

/**
 * The page's scripts use the library through its public entry only, and load it as the separate file
 * ../shadergrad.browser.js (one copy shared by the page and its workers, and proof the published bundle works).
 */
const libraryAsSibling = {
  name: 'library-as-sibling',
  setup(b) {
    b.onResolve({ filter: /\/src\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (target === LIBRARY_ENTRY) return { path: '../shadergrad.browser.js', external: true };
      return { errors: [{ text: `${relative(ROOT, args.importer)} imports ${args.path}: page scripts may import only src/browser/index.ts (the public browser API)` }] };
    });
  },
};

/**
 * In the browser outputs, an import of a Node-only module (Dawn's `webgpu`, `node:fs`, …) becomes an inlined module
 * that throws when evaluated. Left as `import("webgpu")`, it would make a user's bundler (esbuild, Vite, webpack) try
 * to bundle the native addon or fail on `node:fs` when they bundle shadergrad for a browser. Such a module is only
 * evaluated on a Node code path when every way to it from the entry passes through a dynamic import (esbuild
 * initialises dynamically imported modules lazily) — e.g. src/cache-folder.ts, imported statically by nothing the
 * browser loads; checkStaticNodeImports fails the build for any other, naming the chain that pulls it in. RDKit's
 * emscripten glue reaches `node:fs` through require() calls in its Node branch; those stay (esbuild's `__require`,
 * opaque to bundlers).
 */
const NODE_ONLY = 'node-only';
const nodeOnlyInBrowser = {
  name: 'node-only-in-browser',
  setup(b) {
    b.onResolve({ filter: /^(node:.*|webgpu|tsx(\/.*)?)$/ }, (args) => {
      if (args.kind === 'dynamic-import' || args.kind === 'import-statement') return { path: args.path, namespace: NODE_ONLY };
      return { path: args.path, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: NODE_ONLY }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is Node-only: this is the browser build of shadergrad`)});\n`,
      loader: 'js',
    }));
  },
};

/**
 * Fails when an output reaches a Node-only module through static imports alone: the module would throw as the
 * bundle loads. Walks the metafile's import graph from each entry, not following dynamic imports.
 */
function checkStaticNodeImports(result, label) {
  const inputs = result.metafile.inputs;
  const problems = [];
  for (const out of Object.values(result.metafile.outputs)) {
    if (!out.entryPoint) continue;
    const via = new Map([[out.entryPoint, null]]);
    const queue = [out.entryPoint];
    while (queue.length > 0) {
      const file = queue.shift();
      for (const imp of inputs[file]?.imports ?? []) {
        if (imp.kind === 'dynamic-import' || imp.external || via.has(imp.path)) continue;
        via.set(imp.path, file);
        queue.push(imp.path);
      }
    }
    for (const file of via.keys()) {
      if (!file.startsWith(`${NODE_ONLY}:`)) continue;
      const chain = [];
      for (let f = via.get(file); f; f = via.get(f)) chain.unshift(f);
      problems.push(`${chain.at(-1)} imports "${file.slice(NODE_ONLY.length + 1)}" statically (${chain.join(' → ')}): the browser bundle cannot load a Node-only module`);
    }
  }
  if (problems.length) throw new Error(`${label}:\n  ${[...new Set(problems)].join('\n  ')}`);
}

const BROWSER = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'silent',
  metafile: true,
  plugins: [embedShaders, nodeOnlyInBrowser],
};

/**
 * Fails when a browser output imports a Node module statically: the module would not load at all. Dynamic imports
 * and require() calls stay, because only Node code paths reach them (Dawn, shaders from disk, emscripten's Node
 * branch in RDKit).
 */
function checkBrowserImports(result, label) {
  checkStaticNodeImports(result, label);
  const problems = [];
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    for (const imp of meta.imports) {
      if (imp.external && imp.kind === 'import-statement' && !imp.path.endsWith('shadergrad.browser.js')) {
        const via = Object.entries(result.metafile.inputs)
          .filter(([, i]) => i.imports.some((x) => x.path === imp.path && x.kind === 'import-statement'))
          .map(([f]) => f);
        problems.push(`${relative(ROOT, out)} imports "${imp.path}" via ${via.join(', ') || 'unknown'}`);
      }
    }
  }
  if (problems.length) throw new Error(`${label}: browser bundle has static Node-only imports:\n  ${problems.join('\n  ')}`);
}

export async function build(opts = {}) {
  const outdir = resolve(opts.outdir ?? join(ROOT, 'dist'));
  const types = opts.types ?? true;
  const t0 = performance.now();
  if (opts.clean !== false) rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'web'), { recursive: true });

  const library = await esbuild.build({
    ...BROWSER,
    entryPoints: {
      'shadergrad.browser': LIBRARY_ENTRY,
      'dataset-worker.browser': join(ROOT, 'src/browser/dataset-worker.ts'),
      'tree-worker.browser': join(ROOT, 'src/forest/tree-worker.ts'),
    },
    outdir,
  });
  checkBrowserImports(library, 'library');
  const require = createRequire(import.meta.url);
  copyFileSync(join(dirname(require.resolve('@rdkit/rdkit')), 'RDKit_minimal.wasm'), join(outdir, 'RDKit_minimal.wasm'));

  const page = await esbuild.build({
    ...BROWSER,
    entryPoints: { app: join(ROOT, 'web/app.ts'), 'study-worker': join(ROOT, 'web/study-worker.ts') },
    outdir: join(outdir, 'web'),
    plugins: [...BROWSER.plugins, libraryAsSibling],
  });
  checkBrowserImports(page, 'page');
  // The bench page measures the kernels themselves, so it bundles the internals it times. bench/*.ts may end with a
  // "run when executed by node" check on process.argv; in a browser that is simply false.
  const bench = await esbuild.build({
    ...BROWSER,
    entryPoints: { bench: join(ROOT, 'web/bench.ts') },
    outdir: join(outdir, 'web'),
    define: { 'process.argv': '[]' },
  });
  checkBrowserImports(bench, 'bench page');
  for (const f of readdirSync(join(ROOT, 'web'))) {
    if (/\.(html|css|svg|ico)$/.test(f)) copyFileSync(join(ROOT, 'web', f), join(outdir, 'web', f));
  }

  await buildNode(outdir);
  if (types) await emitTypes(outdir);
  const seconds = (performance.now() - t0) / 1000;
  const files = listFiles(outdir).filter((f) => !f.startsWith('types/') && !f.endsWith('.map'));
  return { outdir, seconds, files };
}

/**
 * The Node entry and the CLI: same code, Dawn through the `webgpu` package, RDKit and worker threads. Their
 * worker-thread entries, and the boot every worker thread starts from, are emitted beside them under the names
 * molecule-threads.ts, tree-pool.ts, src/tox21/pool-threads.ts and src/workers/node-transport.ts look for when not
 * running from .ts (relative to import.meta.url, so the CLI's chunks stay in dist/ itself, not a subfolder).
 */
const NODE = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'silent',
  // Every npm package stays an import resolved in the user's node_modules: native addons (webgpu, better-sqlite3)
  // cannot be bundled, RDKit's wasm is found beside its package, and the bench peers are optional.
  packages: 'external',
};

async function buildNode(outdir) {
  await esbuild.build({
    ...NODE,
    plugins: [embedShaders, withShaders],
    entryPoints: {
      'shadergrad.node': 'virtual:with-shaders:src/node-api.ts',
      'molecule-worker': join(ROOT, 'src/data/molecule-worker.ts'),
      'tree-worker': join(ROOT, 'src/forest/tree-worker.ts'),
      'pool-worker': join(ROOT, 'src/tox21/pool-worker.ts'),
    },
    outdir,
  });
  await esbuild.build({
    ...NODE,
    plugins: [embedShaders, withShaders],
    entryPoints: { cli: 'virtual:with-shaders:src/cli/main.ts' },
    splitting: true,
    chunkNames: 'cli-[hash]',
    banner: { js: '#!/usr/bin/env node' },
    outdir,
  });
  copyFileSync(join(ROOT, 'src/workers/worker-boot.mjs'), join(outdir, 'worker-boot.mjs'));
}

/**
 * `virtual:with-shaders:<file>`: the file with the embedded shaders registered first, so a Node bundle needs no
 * shaders/ folder beside it. Re-exports the file, and runs it (main.ts starts the CLI when it is the process's entry).
 */
const withShaders = {
  name: 'with-shaders',
  setup(b) {
    b.onResolve({ filter: /^virtual:with-shaders:/ }, (args) => ({ path: args.path.slice('virtual:with-shaders:'.length), namespace: 'with-shaders' }));
    b.onLoad({ filter: /.*/, namespace: 'with-shaders' }, (args) => ({
      contents: `import ${JSON.stringify(join(ROOT, 'src/browser/register-shaders.ts'))};\nexport * from ${JSON.stringify(join(ROOT, args.path))};\n`,
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

/** Declarations with `.ts` import specifiers rewritten to `.js`, which resolve to the `.d.ts` beside them. */
async function emitTypes(outdir) {
  const typesDir = join(outdir, 'types');
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', typesDir], { cwd: ROOT });
  } catch (e) {
    throw new Error(`tsc (declarations) failed:\n${e.stdout || e.message}`);
  }
  for (const f of listFiles(typesDir)) {
    if (!f.endsWith('.d.ts')) continue;
    const file = join(typesDir, f);
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3');
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--no-types' && !a.startsWith('--outdir='));
  if (unknown.length) {
    process.stderr.write(`build: unknown argument ${unknown.join(' ')}\nusage: node scripts/build.mjs [--no-types] [--outdir=DIR]\n`);
    process.exit(2);
  }
  const outdir = args.find((a) => a.startsWith('--outdir='))?.slice('--outdir='.length);
  try {
    const r = await build({ outdir, types: !args.includes('--no-types') });
    process.stdout.write(`built ${relative(process.cwd(), r.outdir) || '.'} in ${r.seconds.toFixed(1)} s: ${r.files.join(', ')}\n`);
  } catch (e) {
    const errs = e.errors?.map((x) => `${x.location ? `${x.location.file}:${x.location.line}:${x.location.column}: ` : ''}${x.text}`);
    process.stderr.write(`build failed: ${errs?.length ? errs.join('\n') : e.message}\n`);
    process.exit(1);
  }
}
