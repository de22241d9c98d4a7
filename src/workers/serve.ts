/**
 * The worker side of a WorkerPool: an entry module calls `serveTasks` with what to do for a run's setup and for one
 * task, and this handles the protocol — messages handled one at a time in arrival order (an async setup finishes
 * before the run's tasks start), results posted with their buffers transferred, and a task that throws answered as
 * an error reply (class and fields kept, see errors.ts) so the pool can say which worker failed on which task.
 */
import { serializeError } from './errors.ts';
import { workerPort } from './port.ts';
import type { PoolReply, PoolRequest } from './protocol.ts';

export interface TaskServer<S, T, R> {
  /** Called once per run before its tasks, with the run's shared data. */
  setup?(setup: S): void | Promise<void>;
  task(input: T, index: number): R | Promise<R>;
  /** Buffers of a result to move rather than copy. */
  transfer?(result: R): Transferable[];
}

export function serveTasks<S, T, R>(server: TaskServer<S, T, R>): void {
  const port = workerPort();
  const reply = (m: PoolReply, transfer?: Transferable[]) => port.post(m, transfer);
  let failedRun = -1;
  let queue = Promise.resolve();
  const handle = async (request: PoolRequest) => {
    if (request.kind === 'setup') {
      try {
        await server.setup?.(request.setup as S);
      } catch (e) {
        failedRun = request.run;
        reply({ kind: 'setup-failed', run: request.run, error: serializeError(e) });
      }
      return;
    }
    if (request.run === failedRun) return; // the pool has dropped this worker from the run
    try {
      const result = await server.task(request.input as T, request.index);
      reply({ kind: 'result', run: request.run, index: request.index, result }, server.transfer ? [...new Set(server.transfer(result))] : undefined);
    } catch (e) {
      reply({ kind: 'error', run: request.run, index: request.index, error: serializeError(e) });
    }
  };
  port.onMessage((m) => {
    queue = queue.then(() => handle(m as PoolRequest));
  });
  reply({ kind: 'ready' });
}
