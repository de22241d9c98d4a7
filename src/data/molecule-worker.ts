/**
 * Worker entry that runs molecule jobs for runMoleculeJobThreaded: each worker starts its own RDKit from the
 * compiled wasm module of the run's setup (a wasm instance is single-threaded), then answers chunks of SMILES until
 * the pool stops it. Node-only (RDKit from its package); started through src/workers/worker-boot.mjs.
 */
import { serveTasks } from '../workers/serve.ts';
import { runMoleculeJobSafely, type JobResult, type MoleculeJob } from './molecule-jobs.ts';
import type { RDKitModule } from './parse-molecule.ts';
import { loadRDKit } from './rdkit-node.ts';

export interface MoleculeSetup {
  /** RDKit compiled once by the parent; structured clone shares the compiled code. */
  wasm: WebAssembly.Module;
}

export interface MoleculeChunk {
  job: MoleculeJob;
  smiles: string[];
}

let rdkit: RDKitModule | null = null;

serveTasks<MoleculeSetup, MoleculeChunk, JobResult<MoleculeJob>>({
  setup: async ({ wasm }) => void (rdkit ??= await loadRDKit(wasm)),
  task: ({ job, smiles }) => {
    if (!rdkit) throw new Error('asked for molecules before RDKit was set up');
    return runMoleculeJobSafely(() => loadRDKit(), job, smiles); // a crash fails its row; a fresh RDKit goes on
  },
});
