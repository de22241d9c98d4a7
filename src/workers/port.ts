/**
 * The worker's end of the channel, the same in a Web Worker and a Node worker thread: Node workers start from
 * worker-boot.mjs, which leaves `parentPort` under a registered symbol, so a worker entry never imports
 * node:worker_threads and bundles for browsers unchanged. Messages that arrive before a listener is set wait
 * in both runtimes, so an entry may set up (load RDKit, say) before listening.
 */

export interface WorkerPort {
  post(message: unknown, transfer?: Transferable[]): void;
  onMessage(listener: (message: unknown) => void): void;
}

const NODE_PORT = Symbol.for('shadergrad.workerPort');

interface NodeParentPort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: 'message', listener: (message: unknown) => void): void;
}

export function workerPort(): WorkerPort {
  const node = (globalThis as { [NODE_PORT]?: NodeParentPort | null })[NODE_PORT];
  if (node) return { post: (m, transfer) => node.postMessage(m, transfer), onMessage: (listener) => node.on('message', listener) };
  const scope = globalThis as unknown as { WorkerGlobalScope?: unknown; postMessage: (m: unknown, t: Transferable[]) => void; onmessage: unknown };
  if (typeof scope.WorkerGlobalScope === 'undefined') {
    throw new Error('workerPort(): not in a worker (Node workers must start through worker-boot.mjs, see node-transport.ts)');
  }
  return {
    post: (m, transfer = []) => scope.postMessage(m, transfer),
    onMessage: (listener) => void (scope.onmessage = (ev: MessageEvent) => listener(ev.data)),
  };
}
