/**
 * Loads RDKit MinimalLib (wasm) once per thread in Node, and reads its package version without loading it: the
 * version is part of the feature-cache key, and a cached run must not pay the wasm start-up. The compiled
 * WebAssembly.Module is shared with worker threads: V8 compiles wasm functions lazily, on first call, and a module
 * posted to a worker shares that compiled code, so a worker does not compile RDKit's 7 MB again. A module that has
 * crashed (rdkit-crash.ts) is dropped: the next call instantiates a fresh one from the same compiled wasm (~5 ms).
 * Node-only.
 */
import initRDKitModule from '@rdkit/rdkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RDKitModule } from './parse-molecule.ts';
import { hasCrashed, watchStack } from './rdkit-crash.ts';

let compiling: Promise<WebAssembly.Module> | null = null;
let loading: Promise<RDKitModule> | null = null;
/** The compiled module a worker was given, kept for the fresh instances that replace a crashed one. */
let sharedModule: WebAssembly.Module | undefined;

/** The compiled RDKit wasm, to pass to workers (structured clone shares it). */
export function rdkitWasmModule(): Promise<WebAssembly.Module> {
  compiling ??= WebAssembly.compile(readFileSync(join(packageDir(), 'dist', 'RDKit_minimal.wasm')));
  return compiling;
}

/** This thread's RDKit (a fresh instance once the last one crashed); `shared` is a module compiled in another thread. */
export async function loadRDKit(shared?: WebAssembly.Module): Promise<RDKitModule> {
  const pending = loading;
  if (pending) {
    const rdkit = await pending;
    if (!hasCrashed(rdkit)) return rdkit;
    if (loading === pending) loading = null; // another caller may have replaced it meanwhile
  }
  loading ??= instantiateRDKit(shared);
  return loading;
}

function instantiateRDKit(shared?: WebAssembly.Module): Promise<RDKitModule> {
  sharedModule = shared ?? sharedModule;
  return (async () => {
    const module = sharedModule ?? (await rdkitWasmModule());
    let instance: WebAssembly.Instance | undefined;
    let failed: (e: unknown) => void = () => {};
    const instantiationFailed = new Promise<never>((_, reject) => (failed = reject));
    const rdkit = await Promise.race([
      initRDKitModule({
        // Emscripten's hook for supplying the instance ourselves instead of fetching and compiling the file; a
        // failure must reject the load, since Emscripten would otherwise wait for `done` forever.
        instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
          WebAssembly.instantiate(module, imports).then((i) => done((instance = i), module), failed);
          return {};
        },
      }),
      instantiationFailed,
    ]);
    if (instance) watchStack(rdkit, instance); // after start-up, which writes the stack cookie
    return rdkit;
  })();
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
