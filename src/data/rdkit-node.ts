/**
 * Loads RDKit MinimalLib (wasm) once per thread in Node, and reads its package version without loading it: the
 * version is part of the feature-cache key, and a cached run must not pay the wasm start-up. The compiled
 * WebAssembly.Module is shared with worker threads: V8 compiles wasm functions lazily, on first call, and a module
 * posted to a worker shares that compiled code, so a worker does not compile RDKit's 7 MB again. Node-only.
 */
import initRDKitModule from '@rdkit/rdkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RDKitModule } from './parse-molecule.ts';

let compiling: Promise<WebAssembly.Module> | null = null;
let loading: Promise<RDKitModule> | null = null;

/** The compiled RDKit wasm, to pass to workers (structured clone shares it). */
export function rdkitWasmModule(): Promise<WebAssembly.Module> {
  compiling ??= WebAssembly.compile(readFileSync(join(packageDir(), 'dist', 'RDKit_minimal.wasm')));
  return compiling;
}

/** This thread's RDKit; `shared` is a module compiled in another thread. */
export function loadRDKit(shared?: WebAssembly.Module): Promise<RDKitModule> {
  loading ??= (async () => {
    const module = shared ?? (await rdkitWasmModule());
    return initRDKitModule({
      // Emscripten's hook for supplying the instance ourselves instead of fetching and compiling the file.
      instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
        void WebAssembly.instantiate(module, imports).then((instance) => done(instance, module));
        return {};
      },
    });
  })();
  return loading;
}

function packageDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@rdkit/rdkit')), '..');
}

let version: string | null = null;

/** The installed `@rdkit/rdkit` version, e.g. "2026.9.1" (its package.json is not exported, so found by path). */
export function rdkitPackageVersion(): string {
  if (version === null) {
    const pkg = JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')) as { version: string };
    version = pkg.version;
  }
  return version;
}
