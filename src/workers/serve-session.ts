/**
 * The worker side of a WorkerSession (session.ts): an entry module calls `serveSession` with one handler per
 * operation. Calls are handled one at a time in arrival order — an async handler finishes before the next call
 * starts — so the caller may post several calls without waiting and see them applied in order. A handler that
 * throws (or an unknown operation) is answered as an error reply, class and fields kept (errors.ts); the worker
 * goes on serving.
 */
import { serializeError } from './errors.ts';
import { workerPort } from './port.ts';
import type { SessionReply, SessionRequest } from './session.ts';

export type SessionHandlers = Record<string, (args: never) => unknown>;

export function serveSession(handlers: SessionHandlers, opts: { transfer?: (op: string, result: unknown) => Transferable[] } = {}): void {
  const port = workerPort();
  const reply = (m: SessionReply, transfer?: Transferable[]) => port.post(m, transfer);
  let queue = Promise.resolve();
  const handle = async ({ id, op, args }: SessionRequest) => {
    try {
      const h = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
      if (!h) throw new Error(`unknown operation "${op}" (this worker serves ${Object.keys(handlers).join(', ')})`);
      const result = await h(args as never);
      reply({ kind: 'result', id, result }, opts.transfer?.(op, result));
    } catch (e) {
      reply({ kind: 'error', id, error: serializeError(e) });
    }
  };
  port.onMessage((m) => {
    queue = queue.then(() => handle(m as SessionRequest));
  });
}
