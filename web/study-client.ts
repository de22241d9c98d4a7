/**
 * The page's side of the study worker: one request at a time in flight per id, progress replies routed to the
 * caller's callback, and the final reply (a result, or an error rebuilt with its original class) resolving the call.
 */
import { reviveError } from '../src/browser/index.ts';
import type { StudyReply, StudyRequest } from './study-protocol.ts';

type Final = Extract<StudyReply, { type: 'ready' | 'no-webgpu' | 'loaded' | 'rf-result' | 'fcn-result' | 'grid-result' | 'study-result' | 'study-export' | 'study-list' }>;
export type Progress = Extract<StudyReply, { type: 'data-progress' | 'trees' | 'epoch' | 'trial' | 'models-epoch' | 'study-trials' | 'study-trial' }>;
const PROGRESS = new Set<StudyReply['type']>(['data-progress', 'trees', 'epoch', 'trial', 'models-epoch', 'study-trials', 'study-trial']);

/** Requests without their id: the client numbers them. */
type Body<R> = R extends { id: number } ? Omit<R, 'id'> : never;

export class StudyClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Final) => void; reject: (e: Error) => void; progress?: (p: Progress) => void }>();

  constructor(url: URL) {
    this.worker = new Worker(url, { type: 'module', name: 'shadergrad study' });
    this.worker.onmessage = (ev: MessageEvent<StudyReply>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (PROGRESS.has(m.type)) return p.progress?.(m as Progress);
      this.pending.delete(m.id);
      if (m.type === 'error') p.reject(reviveError(m.error));
      else p.resolve(m as Final);
    };
    this.worker.onerror = (ev: ErrorEvent) => {
      const e = new Error(`the study worker failed: ${ev.message || 'it could not start (is study-worker.js served beside app.js?)'}`);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
  }

  /** `transfer`: buffers of the body handed to the worker without a copy (unusable here afterwards). */
  request<T extends Final['type']>(body: Body<StudyRequest>, progress?: (p: Progress) => void, transfer: Transferable[] = []): Promise<Extract<Final, { type: T }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: Final) => void, reject, progress });
      this.worker.postMessage({ ...body, id } as StudyRequest, transfer);
    });
  }
}
