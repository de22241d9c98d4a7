/**
 * Runs a molecule job on several threads: RDKit's wasm is single-threaded, so parallel featurization needs one
 * RDKit per thread (all sharing one compiled wasm module, sent as the run's setup). It is a WorkerPool run
 * (src/workers/pool.ts) of chunks of rows: the calling thread works too, from the first moment, while workers start
 * (a worker needs ~0.15 s for its RDKit, ~0.35 s under tsx), chunks go out as threads free up, so a late worker
 * simply does less, and one that never starts costs nothing but a note. The worker entry is molecule-worker.ts
 * (molecule-worker.js beside a build). Node-only.
 */
import { availableParallelism } from 'node:os';
import { spawnNodeWorker } from '../workers/node-transport.ts';
import { WorkerPool } from '../workers/pool.ts';
import { joinJobResults, runMoleculeJobSafely, type JobResult, type MoleculeJob } from './molecule-jobs.ts';
import type { MoleculeChunk, MoleculeSetup } from './molecule-worker.ts';
import { loadRDKit, rdkitWasmModule } from './rdkit-node.ts';

export interface ThreadedResult<R> {
  result: R;
  /** Threads that computed at least one chunk (1 = the calling thread alone). */
  threads: number;
  /** Set when a worker could not start. */
  note?: string;
}

/** Rows per chunk: small enough that the calling thread answers a worker within ~35 ms, large enough to be cheap. */
const CHUNK = 256;

/** A chunk takes well under a second; a worker silent this long is stuck (RDKit's wasm can loop forever once a huge
 *  molecule has overrun its stack) and is stopped, failing the run with a message rather than leaving it pending. */
const CHUNK_TIMEOUT_MS = 60_000;

const ENTRY_URL = new URL(import.meta.url.endsWith('.ts') ? './molecule-worker.ts' : './molecule-worker.js', import.meta.url);

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

export interface ThreadOptions {
  /** The calling thread takes chunks too (default). Off: workers do everything — keeps a UI thread free, and lets
   *  tests exercise the worker path deterministically. It still computes if no worker starts. */
  callerWorks?: boolean;
}

/** `threads` counts the calling thread when it works: 2 means the caller plus one worker. */
export async function runMoleculeJobThreaded<J extends MoleculeJob>(
  job: J,
  smiles: readonly string[],
  threads = defaultThreads(),
  opts: ThreadOptions = {},
): Promise<ThreadedResult<JobResult<J>>> {
  const callerWorks = opts.callerWorks ?? true;
  const nChunks = Math.ceil(smiles.length / CHUNK);
  const nWorkers = Math.max(0, Math.min(callerWorks ? threads - 1 : threads, callerWorks ? nChunks - 1 : nChunks));
  if (nWorkers === 0) return { result: await runMoleculeJobSafely(loadRDKit, job, smiles), threads: 1 };

  const slice = (c: number) => smiles.slice(c * CHUNK, (c + 1) * CHUNK);
  const pool = new WorkerPool({ workers: nWorkers, entry: ENTRY_URL, spawn: spawnNodeWorker, label: 'molecule worker' });
  try {
    const r = await pool.run<MoleculeSetup, MoleculeChunk, JobResult<J>>({
      count: nChunks,
      setup: { wasm: await rdkitWasmModule() },
      input: (c) => ({ job, smiles: slice(c) }),
      local: (c) => runMoleculeJobSafely(loadRDKit, job, slice(c)), // a crash fails its row; a fresh RDKit goes on
      callerWorks,
      taskTimeoutMs: CHUNK_TIMEOUT_MS,
      describe: (c) => `rows ${c * CHUNK}–${Math.min(smiles.length, (c + 1) * CHUNK) - 1}`,
    });
    const note = r.notes.length ? r.notes.join('; ') : undefined;
    return { result: joinJobResults(job, r.results), threads: r.perThread.filter((n) => n > 0).length, note };
  } finally {
    await pool.close();
  }
}
