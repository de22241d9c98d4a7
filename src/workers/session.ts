/**
 * A stateful conversation with one worker thread: calls (an operation name and its arguments) answered in order,
 * each with a result or an error. WorkerPool (pool.ts) hands out stateless numbered tasks to whichever worker is
 * free; a session is for a worker that keeps state between messages — a trial pool's populations live in one
 * worker for the whole search (src/tox21/pool-threads.ts) — so every call goes to the same worker, and the worker
 * handles them one at a time in the order sent (serve-session.ts), which lets a caller post calls without waiting
 * and still rely on their order.
 *
 * The worker is ref'd only while a call is unanswered, so an idle session never keeps the process alive. An error
 * thrown by a handler rejects that call with the worker's message (class kept, errors.ts); a worker that dies
 * rejects every unanswered call, and every later one, naming the worker and why. No Node imports: the transport is
 * a WorkerHandle (handle.ts).
 */
import { reviveError, type SerializedError } from './errors.ts';
import type { WorkerHandle } from './handle.ts';

export type SessionRequest = { kind: 'call'; id: number; op: string; args: unknown };

export type SessionReply =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: SerializedError };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class WorkerSession {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Why the worker can take no more calls (it died or was closed), once it cannot. */
  private dead: Error | null = null;

  constructor(private readonly handle: WorkerHandle) {
    handle.onMessage((m) => this.receive(m as SessionReply));
    handle.onError((e) => this.die(new Error(`${handle.name} stopped: ${e.message}`)));
  }

  get name(): string {
    return this.handle.name;
  }

  /** Whether the worker can still take calls. */
  get alive(): boolean {
    return this.dead === null;
  }

  /** Calls that have not been answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Runs `op` in the worker after every call sent before it; resolves to its result. */
  call<R>(op: string, args: unknown, transfer?: Transferable[]): Promise<R> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const reply = new Promise<R>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    if (this.pending.size === 1) this.handle.ref();
    const request: SessionRequest = { kind: 'call', id, op, args };
    try {
      this.handle.post(request, transfer);
    } catch (e) {
      // Arguments structured clone cannot copy (a function, a class with private state): this call fails alone.
      this.receive({ kind: 'error', id, error: { name: (e as Error)?.name ?? 'Error', message: `${this.handle.name}: could not send "${op}": ${(e as Error)?.message ?? String(e)}` } });
    }
    return reply;
  }

  /** Stops the worker; unanswered and later calls reject. */
  async close(): Promise<void> {
    if (!this.dead) this.die(new Error(`${this.handle.name} was closed`));
    await this.handle.terminate();
  }

  private receive(m: SessionReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.handle.unref();
    if (m.kind === 'result') p.resolve(m.result);
    else p.reject(reviveError(m.error));
  }

  private die(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.handle.unref();
    for (const p of waiting) p.reject(e);
  }
}
