/**
 * Runs a molecule job on several threads: RDKit's wasm is single-threaded, so parallel featurization needs one
 * RDKit per thread (all sharing one compiled wasm module). The calling thread works too, from the first moment,
 * while workers start (a worker needs ~0.15 s for its RDKit, ~0.35 s under tsx): chunks are handed out as threads
 * become free, so a late worker simply does less, and one that never starts costs nothing but a note. Under tsx or
 * vitest the worker is TypeScript, started through molecule-worker-tsx.mjs; from compiled JavaScript it is the
 * sibling `molecule-worker.js`, which a build must emit next to the bundle. Node-only.
 */
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { joinJobResults, runMoleculeJob, type JobResult, type MoleculeJob } from './molecule-jobs.ts';
import type { ChunkRequest } from './molecule-worker.ts';
import { loadRDKit, rdkitWasmModule } from './rdkit-node.ts';
import { workerExecArgv } from '../worker-exec-argv.ts';

export interface ThreadedResult<R> {
  result: R;
  /** Threads that computed at least one chunk (1 = the calling thread alone). */
  threads: number;
  /** Set when a worker could not start. */
  note?: string;
}

/** Rows per chunk: small enough that the calling thread answers a worker within ~35 ms, large enough to be cheap. */
const CHUNK = 256;

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

type Reply<R> = { ready: true } | { chunk: number; result: R } | { chunk: number; error: string };

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
  if (nWorkers === 0) return { result: runMoleculeJob(await loadRDKit(), job, smiles), threads: 1 };

  const parts: JobResult<J>[] = new Array(nChunks);
  let nextChunk = 0;
  let done = 0;
  let failure: Error | null = null;
  let unstarted = 0;
  const notes: string[] = [];
  const contributors = new Set<string>();
  const slice = (c: number) => smiles.slice(c * CHUNK, (c + 1) * CHUNK);

  let wake: () => void = () => {};
  let finished = false;
  const workers: Worker[] = [];
  const wasm = await rdkitWasmModule();
  for (let i = 0; i < nWorkers; i++) {
    const w = new Worker(workerUrl(), { workerData: { wasm }, execArgv: workerExecArgv() });
    workers.push(w);
    let ready = false;
    let busy = false;
    const give = () => {
      if (failure || nextChunk >= nChunks) return;
      busy = true;
      const req: ChunkRequest = { chunk: nextChunk++, job, smiles: slice(nextChunk - 1) };
      w.postMessage(req);
    };
    w.on('message', (msg: Reply<JobResult<J>>) => {
      if ('ready' in msg) {
        ready = true;
        return give();
      }
      busy = false;
      if ('error' in msg) failure ??= new Error(`molecule worker failed on rows ${msg.chunk * CHUNK}–${(msg.chunk + 1) * CHUNK - 1}: ${msg.error}`);
      else {
        parts[msg.chunk] = msg.result;
        done++;
        contributors.add(`worker${i}`);
        give();
      }
      wake();
    });
    let gone = false;
    const lost = (why: string) => {
      if (gone || finished) return;
      gone = true;
      // Before it is ready a worker holds no chunk: the other threads cover its share.
      if (!ready) {
        unstarted++;
        notes.push(`a worker thread could not start (${why})`);
      } else if (busy) failure ??= new Error(`a molecule worker died while computing a chunk (${why})`);
      wake();
    };
    w.on('error', (e) => lost(e.message));
    w.on('exit', (code) => lost(`exit code ${code}`));
  }

  try {
    let rdkit: Awaited<ReturnType<typeof loadRDKit>> | null = callerWorks ? await loadRDKit() : null;
    while (done < nChunks && !failure) {
      if ((callerWorks || unstarted === nWorkers) && nextChunk < nChunks) {
        rdkit ??= await loadRDKit();
        const c = nextChunk++;
        parts[c] = runMoleculeJob(rdkit, job, slice(c));
        done++;
        contributors.add('main');
        await yieldToEvents(); // let workers' replies in, and hand them their next chunk
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    finished = true;
    for (const w of workers) void w.terminate();
  }
  if (failure) throw failure;
  return { result: joinJobResults(job, parts), threads: contributors.size, note: notes.length ? notes.join('; ') : undefined };
}

function workerUrl(): URL {
  const self = import.meta.url;
  return new URL(self.endsWith('.ts') ? './molecule-worker-tsx.mjs' : './molecule-worker.js', self);
}
