/**
 * Web Worker entry of loadDatasetInWorker: decompresses (gzip by magic bytes, with the browser's
 * DecompressionStream), loads RDKit, and runs datasetFromText with molecule jobs in chunks so the page can show
 * progress. Replies once with the dataset (typed arrays transferred) or with the error, DataFileError fields kept.
 */
import { DataFileError } from '../data/data-error.ts';
import { decodeDataText, isGzip } from '../data/data-text.ts';
import { datasetFromText, type MoleculeJobRunner } from '../data/molecule-dataset.ts';
import { joinJobResults, runMoleculeJobSafely, type JobResult, type MoleculeJob } from '../data/molecule-jobs.ts';
import type { BrowserDataset, DatasetProgress, DatasetReply, DatasetRequest } from './load-dataset.ts';
import { loadRDKitBrowser } from './rdkit-browser.ts';
import { serializeError } from '../workers/errors.ts';

/** Molecules per chunk: progress every ~0.1 s at RDKit's ~0.4 ms per molecule. */
const CHUNK = 256;

const post = (m: DatasetReply, transfer: Transferable[] = []) => self.postMessage(m, { transfer });
const progress = (p: DatasetProgress) => post({ type: 'progress', progress: p });

self.onmessage = async (ev: MessageEvent<DatasetRequest>) => {
  const { bytes, file, opts, rdkitWasmUrl } = ev.data;
  try {
    const t0 = performance.now();
    progress({ phase: 'decode', done: 0, total: 0 });
    const raw = new Uint8Array(bytes);
    const gzipped = isGzip(raw);
    const text = decodeDataText(gzipped ? await gunzip(raw, file) : raw, file, gzipped);
    const t1 = performance.now();
    progress({ phase: 'rdkit', done: 0, total: 0 });
    const loadRDKit = () => loadRDKitBrowser(rdkitWasmUrl ?? new URL('./RDKit_minimal.wasm', import.meta.url)); // fresh after a crash
    const rdkit = await loadRDKit();
    const t2 = performance.now();
    progress({ phase: 'parse', done: 0, total: 0 });
    const run: MoleculeJobRunner = async <J extends MoleculeJob>(job: J, smiles: readonly string[]): Promise<JobResult<J>> => {
      const phase = job.kind === 'ecfp' ? 'ecfp' : 'scaffold';
      const parts: JobResult<J>[] = [];
      for (let s = 0; s < smiles.length || s === 0; s += CHUNK) {
        progress({ phase, done: s, total: smiles.length });
        parts.push(await runMoleculeJobSafely(loadRDKit, job, smiles.slice(s, s + CHUNK)));
      }
      progress({ phase, done: smiles.length, total: smiles.length });
      return joinJobResults(job, parts);
    };
    const assembled = await datasetFromText(text, file, run, { ...opts, rdkit: rdkit.version() });
    const t3 = performance.now();
    const result: BrowserDataset = { ...assembled, seconds: { decode: (t1 - t0) / 1000, rdkit: (t2 - t1) / 1000, featurize: (t3 - t2) / 1000, total: (t3 - t0) / 1000 } };
    const { dataset: d, split: s } = result;
    const arrays = [d.rowIndex, d.y, d.w, d.labelled, d.features.offsets, d.features.indices, s.train, s.valid, s.test];
    post({ type: 'done', result }, [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))]);
  } catch (e) {
    post({ type: 'error', error: serializeError(e) });
  }
};

async function gunzip(raw: Uint8Array<ArrayBuffer>, file: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DataFileError({ file }, `gzip data is truncated or corrupt (${(e as Error).message}); download or copy the file again`);
  }
}
