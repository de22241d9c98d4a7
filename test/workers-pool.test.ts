/**
 * The one worker pool (src/workers/) on Node worker threads: results by task index whatever the number of threads
 * and whoever computed them, failures that name the worker and the task, workers that never start costing a note,
 * and an idle pool that does not keep the process alive. The forest and the featurizer run on it too (their own
 * tests: forest-threads, data-features); here featurizing is checked identical on 1, 2 and 3 threads.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DataFileError } from '../src/data/data-error.ts';
import { runMoleculeJobThreaded } from '../src/data/molecule-threads.ts';
import { spawnNodeWorker } from '../src/workers/node-transport.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { poolTestTask, type PoolTestResult, type PoolTestSetup } from './helpers/pool-task.ts';

const ENTRY = new URL('./helpers/pool-worker.ts', import.meta.url);
const COUNT = 23;

function pool(workers: number, entry: URL = ENTRY): WorkerPool {
  return new WorkerPool({ workers, entry, spawn: spawnNodeWorker, label: 'test worker' });
}

async function runOn(p: WorkerPool, setup: PoolTestSetup, callerWorks: boolean, count = COUNT) {
  return p.run<PoolTestSetup, number, PoolTestResult>({
    count, setup, input: (i) => i, local: (i) => poolTestTask(setup.salt, i), callerWorks,
  });
}

describe('WorkerPool on Node worker threads', () => {
  it('gives the same results by index on 0–3 workers, with and without the calling thread', async () => {
    const expected = Array.from({ length: COUNT }, (_, i) => poolTestTask(7, i));
    for (const workers of [0, 1, 2, 3]) {
      const p = pool(workers);
      try {
        for (const callerWorks of workers === 0 ? [true] : [true, false]) {
          const r = await runOn(p, { salt: 7 }, callerWorks);
          expect(r.results, `${workers} workers, caller ${callerWorks}`).toEqual(expected);
          expect(r.perThread.reduce((a, b) => a + b)).toBe(COUNT);
          expect(r.notes).toEqual([]);
          if (!callerWorks) expect(r.perThread[0]).toBe(0);
        }
        // Another run on the same workers with another setup.
        expect((await runOn(p, { salt: 8 }, false, 5)).results).toEqual(Array.from({ length: 5 }, (_, i) => poolTestTask(8, i)));
      } finally {
        await p.close();
      }
    }
  });

  it('names the worker and the task that threw, keeping the error’s class and fields', async () => {
    const p = pool(2);
    try {
      const thrown = await runOn(p, { salt: 1, throwAt: 5 }, false).catch((e: Error) => e);
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).message).toMatch(/^test worker [01] failed on task 5: boom at 5$/);
      expect((thrown as Error).name).toBe('RangeError');
      const data = await runOn(p, { salt: 1, dataErrorAt: 2 }, false).catch((e: Error) => e);
      expect(data).toBeInstanceOf(DataFileError);
      expect((data as DataFileError).column).toBe('NR-AR');
      expect((data as Error).message).toMatch(/^test worker [01] failed on task 2: x\.csv, line 3, data row 1, column "NR-AR": label "maybe"/);
      // The pool still serves the next run.
      expect((await runOn(p, { salt: 1 }, false)).results[4]).toEqual(poolTestTask(1, 4));
      const busy = runOn(p, { salt: 1 }, false);
      await expect(runOn(p, { salt: 1 }, false)).rejects.toThrow('the test worker pool is already running a batch');
      await busy;
    } finally {
      await p.close();
    }
    await expect(runOn(p, { salt: 1 }, false)).rejects.toThrow('the test worker pool is closed');
  });

  it('names a worker that stops in the middle of a task', async () => {
    const p = pool(1);
    try {
      await expect(runOn(p, { salt: 1, exitAt: 3 }, false)).rejects.toThrow(/^test worker 0 stopped while on task 3: it exited with code 3$/);
    } finally {
      await p.close();
    }
  });

  it('stops a worker that hangs on a task and fails the run, naming it, instead of waiting forever', async () => {
    const p = pool(2);
    try {
      const run = p.run<PoolTestSetup, number, PoolTestResult>({
        count: COUNT, setup: { salt: 1, hangAt: 2 }, input: (i) => i, local: (i) => poolTestTask(1, i), callerWorks: false, taskTimeoutMs: 1500,
      });
      await expect(run).rejects.toThrow(/^test worker [01] gave no answer on task 2 within 1\.5 s; it was stopped$/);
    } finally {
      await p.close();
    }
  });

  it('hands the tasks of workers that cannot start or set up to the others, with a note', async () => {
    const missing = new URL('./helpers/no-such-worker.ts', import.meta.url);
    const p = pool(2, missing);
    try {
      const r = await runOn(p, { salt: 3 }, false);
      expect(r.results).toEqual(Array.from({ length: COUNT }, (_, i) => poolTestTask(3, i)));
      expect(r.perThread).toEqual([COUNT, 0, 0]); // no worker left: the calling thread did everything
      expect(r.notes.join('\n')).toMatch(/test worker 0 could not start: .*no-such-worker/);
      expect(r.notes).toHaveLength(2);
    } finally {
      await p.close();
    }
    const q = pool(2, missing);
    try {
      const e = await q.run({ count: 4, input: (i) => i }).catch((x: Error) => x);
      expect((e as Error).message).toMatch(/^no test worker is left for 4 of 4 tasks: test worker \d could not start/);
    } finally {
      await q.close();
    }
    const s = pool(2);
    try {
      const r = await runOn(s, { salt: 4, failSetup: true }, false);
      expect(r.results[COUNT - 1]).toEqual(poolTestTask(4, COUNT - 1));
      expect([...r.notes].sort()).toEqual(['test worker 0 could not set up: this worker cannot set up', 'test worker 1 could not set up: this worker cannot set up']);
    } finally {
      await s.close();
    }
  });

  it('does not keep the process alive between runs', async () => {
    // A process that runs a batch on two workers and never closes the pool must still exit by itself.
    const code = `
      import { WorkerPool } from './src/workers/pool.ts';
      import { spawnNodeWorker } from './src/workers/node-transport.ts';
      const p = new WorkerPool({ workers: 2, entry: new URL('./test/helpers/pool-worker.ts', import.meta.url), spawn: spawnNodeWorker, label: 'w' });
      const r = await p.run({ count: 6, setup: { salt: 1 }, input: (i) => i, callerWorks: false });
      console.log(r.perThread.slice(1).reduce((a, b) => a + b));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 60_000 });
    expect(stdout.trim()).toBe('6');
  });
});

describe('featurizing through the pool', () => {
  it('gives identical fingerprints and statuses on 1, 2 and 3 threads', async () => {
    const kinds = ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCN(CC)CC', 'not a molecule', 'C1CC1C(=O)O', 'c1ccncc1'];
    const smiles = Array.from({ length: 700 }, (_, i) => kinds[(i * 5 + (i >> 3)) % kinds.length]);
    const job = { kind: 'ecfp', params: { radius: 2, nBits: 1024 } } as const;
    const one = await runMoleculeJobThreaded(job, smiles, 1);
    expect(one.threads).toBe(1);
    for (const [threads, callerWorks] of [[2, false], [3, false], [3, true]] as const) {
      const r = await runMoleculeJobThreaded(job, smiles, threads, { callerWorks });
      expect(r.note, `${threads} threads`).toBeUndefined();
      expect(r.result.status).toEqual(one.result.status);
      expect(r.result.bits).toEqual(one.result.bits);
      expect(r.result.reasons).toEqual(one.result.reasons);
    }
    expect(Array.from(one.result.status).filter((s) => s !== 0).length).toBeGreaterThan(0);
  });
});
