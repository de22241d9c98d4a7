/**
 * Loads RDKit MinimalLib in a browser (page or Web Worker) once per thread. Emscripten would look for the wasm
 * beside the script that loaded it, which for a bundle is the wrong folder, so `locateFile` points at the copy the
 * build places beside the library (dist/RDKit_minimal.wasm), or at a URL the caller gives.
 */
import initRDKitModule from '@rdkit/rdkit';
import type { RDKitModule } from '../data/parse-molecule.ts';

let loading: Promise<RDKitModule> | null = null;
let loadingFrom = '';

export class RDKitLoadError extends Error {
  override name = 'RDKitLoadError';
}

/** `wasmUrl` defaults to RDKit_minimal.wasm beside this module (the bundle's folder). */
export function loadRDKitBrowser(wasmUrl: string | URL = new URL('./RDKit_minimal.wasm', import.meta.url)): Promise<RDKitModule> {
  const url = String(wasmUrl);
  if (loading && loadingFrom !== url) throw new RDKitLoadError(`RDKit is already loaded from ${loadingFrom} in this thread; cannot load it again from ${url}`);
  loadingFrom = url;
  loading ??= initRDKitModule({ locateFile: (file: string) => (file.endsWith('.wasm') ? url : file) }).catch((e: unknown) => {
    loading = null;
    throw new RDKitLoadError(`could not load RDKit's wasm from ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }) as Promise<RDKitModule>;
  return loading;
}
