/**
 * Entry point of a worker thread that runs molecule jobs: each worker starts its own RDKit (a wasm instance is
 * single-threaded), says it is ready, then answers chunks of SMILES until the pool terminates it. Node-only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runMoleculeJob, type MoleculeJob } from './molecule-jobs.ts';
import { loadRDKit } from './rdkit-node.ts';

export interface ChunkRequest {
  chunk: number;
  job: MoleculeJob;
  smiles: string[];
}

const port = parentPort;
if (!port) throw new Error('molecule-worker.ts must run as a worker thread');
const rdkit = await loadRDKit((workerData as { wasm?: WebAssembly.Module } | null)?.wasm);
port.postMessage({ ready: true });
port.on('message', (req: ChunkRequest) => {
  try {
    port.postMessage({ chunk: req.chunk, result: runMoleculeJob(rdkit, req.job, req.smiles) });
  } catch (e) {
    port.postMessage({ chunk: req.chunk, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
