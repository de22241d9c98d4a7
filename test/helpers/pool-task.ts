/** What test/helpers/pool-worker.ts computes, importable without starting a worker. */
import { Rng } from '../../src/random/rng.ts';

export interface PoolTestSetup {
  salt: number;
  throwAt?: number;
  dataErrorAt?: number;
  exitAt?: number;
  /** A task that never answers (a busy loop, as RDKit's wasm can spin after overrunning its stack). */
  hangAt?: number;
  failSetup?: boolean;
}

export interface PoolTestResult {
  index: number;
  draws: Float64Array;
}

/** What task `index` computes, wherever it runs. */
export function poolTestTask(salt: number, index: number): PoolTestResult {
  const rng = new Rng(salt, index);
  return { index, draws: Float64Array.from({ length: 64 }, () => rng.float()) };
}

