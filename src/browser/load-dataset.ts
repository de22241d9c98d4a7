/**
 * Reads a molecule CSV (plain or gzip) into a dataset in a browser without blocking the page: the bytes go to a Web
 * Worker that parses, featurizes with RDKit's wasm, splits and weights (datasetFromText, the code the CLI runs), and
 * sends back the dataset's typed arrays without copying them. Progress arrives per chunk of molecules.
 */
import type { AssembledDataset, TextDatasetOptions } from '../data/molecule-dataset.ts';
import { reviveError, type SerializedError } from '../workers/errors.ts';
import { spawnWebWorker } from '../workers/web-transport.ts';

export type DatasetPhase = 'decode' | 'rdkit' | 'parse' | 'ecfp' | 'scaffold';

export interface DatasetProgress {
  phase: DatasetPhase;
  /** Molecules done and in all, for the ecfp and scaffold phases. */
  done: number;
  total: number;
}

export interface LoadDatasetOptions extends Omit<TextDatasetOptions, 'rdkit'> {
  onProgress?: (p: DatasetProgress) => void;
  /** Where the worker finds RDKit_minimal.wasm (default: beside the worker script). */
  rdkitWasmUrl?: string;
  /** The worker script (default: dataset-worker.browser.js beside this library bundle). */
  workerUrl?: string | URL;
}

export interface BrowserDataset extends AssembledDataset {
  seconds: { decode: number; rdkit: number; featurize: number; total: number };
}

/** Messages between the page and dataset-worker.ts. */
export interface DatasetRequest {
  bytes: ArrayBuffer;
  file: string;
  opts: Omit<TextDatasetOptions, 'rdkit'>;
  rdkitWasmUrl?: string;
}
export type DatasetReply =
  | { type: 'progress'; progress: DatasetProgress }
  | { type: 'done'; result: BrowserDataset }
  | { type: 'error'; error: SerializedError };

/** `data` is the file's bytes (transferred to the worker, so a given ArrayBuffer is unusable afterwards) or text. */
export function loadDatasetInWorker(data: ArrayBuffer | Uint8Array | string, file: string, opts: LoadDatasetOptions = {}): Promise<BrowserDataset> {
  const { onProgress, rdkitWasmUrl, workerUrl, ...datasetOpts } = opts;
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data).buffer : data instanceof Uint8Array ? data.slice().buffer : data;
  const worker = spawnWebWorker(workerUrl ?? new URL('./dataset-worker.browser.js', import.meta.url), { name: 'shadergrad dataset' });
  return new Promise<BrowserDataset>((resolve, reject) => {
    worker.onMessage((message) => {
      const m = message as DatasetReply;
      if (m.type === 'progress') return onProgress?.(m.progress);
      void worker.terminate();
      if (m.type === 'done') resolve(m.result);
      else reject(reviveError(m.error));
    });
    worker.onError((e) => {
      void worker.terminate();
      reject(new Error(`the dataset worker failed to start or crashed: ${e.message}`));
    });
    const request: DatasetRequest = { bytes: bytes as ArrayBuffer, file, opts: datasetOpts, rdkitWasmUrl };
    worker.post(request, [request.bytes]);
  });
}
