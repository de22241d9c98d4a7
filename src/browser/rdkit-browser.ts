/**
 * Loads RDKit MinimalLib in a browser (page or Web Worker) once per thread. Emscripten would look for the wasm
 * beside the script that loaded it, which for a bundle is the wrong folder, so this fetches it from the copy the
 * build places beside the library (dist/RDKit_minimal.wasm), or from a URL the caller gives, and instantiates it
 * through Emscripten's `instantiateWasm` hook: holding the instance lets src/data/rdkit-crash.ts watch RDKit's stack.
 * A module that has crashed is dropped, and the next call loads a fresh instance from the same URL.
 */
import initRDKitModule from '@rdkit/rdkit';
import type { RDKitModule } from '../data/parse-molecule.ts';
import { hasCrashed, watchStack } from '../data/rdkit-crash.ts';

let loading: Promise<RDKitModule> | null = null;
let loadingFrom = '';
let loaded: RDKitModule | null = null;

export class RDKitLoadError extends Error {
  override name = 'RDKitLoadError';
}

/** `wasmUrl` defaults to RDKit_minimal.wasm beside this module (the bundle's folder). */
export function loadRDKitBrowser(wasmUrl: string | URL = new URL('./RDKit_minimal.wasm', import.meta.url)): Promise<RDKitModule> {
  const url = String(wasmUrl);
  if (loaded && hasCrashed(loaded)) {
    loading = null;
    loaded = null;
  }
  if (loading && loadingFrom !== url) throw new RDKitLoadError(`RDKit is already loaded from ${loadingFrom} in this thread; cannot load it again from ${url}`);
  loadingFrom = url;
  loading ??= instantiate(url).then(
    (rdkit) => (loaded = rdkit),
    (e: unknown) => {
      loading = null;
      throw new RDKitLoadError(`could not load RDKit's wasm from ${url}: ${e instanceof Error ? e.message : String(e)}`);
    },
  );
  return loading;
}

/** RDKit from `url`; a failed fetch or compile rejects (Emscripten's own promise would wait for ever). */
async function instantiate(url: string): Promise<RDKitModule> {
  let instance: WebAssembly.Instance | undefined;
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const started = initRDKitModule({
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      void fetchWasm(url)
        .then((bytes) => WebAssembly.instantiate(bytes, imports))
        .then((r) => done((instance = r.instance), r.module), fail);
      return {};
    },
  }) as Promise<RDKitModule>;
  const rdkit = await Promise.race([started, failed]);
  if (instance) watchStack(rdkit, instance); // after start-up, which writes the stack cookie
  return rdkit;
}

async function fetchWasm(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return res.arrayBuffer();
}
