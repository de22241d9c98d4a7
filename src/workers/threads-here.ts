/**
 * Whether this runtime can run the library's own worker threads for training, and on how many cores — asked by
 * code that browsers bundle too (the search's pool choice, the default population), so it names no Node module:
 * Node's are reached through `process.getBuiltinModule` (Node ≥ 20.16), as the CPU backend's helper thread does.
 * `os.availableParallelism()` honours the process's CPU affinity (taskset, a container's cpuset) on Linux, so a
 * search confined to one core does not shard. In a browser the answer is no: a page's search already runs in a
 * Web Worker, and its trial pools stay there.
 */

export interface ThreadsHere {
  /** Worker threads can be started here (Node's worker_threads). */
  usable: boolean;
  /** Cores this process may run on (1 where unknown). */
  cores: number;
  /** Why not, or what was found: a line for notes. */
  reason: string;
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

export function threadsHere(): ThreadsHere {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (!proc?.versions?.node) return { usable: false, cores: 1, reason: 'not in Node: trial pools train on the calling thread' };
  if (typeof proc.getBuiltinModule !== 'function') return { usable: false, cores: 1, reason: `Node ${proc.versions.node} has no process.getBuiltinModule (Node ≥ 20.16): trial pools train on the calling thread` };
  const os = proc.getBuiltinModule('node:os') as { availableParallelism(): number };
  const cores = Math.max(1, os.availableParallelism());
  return { usable: true, cores, reason: `${cores} core${cores === 1 ? '' : 's'} available to this process` };
}
