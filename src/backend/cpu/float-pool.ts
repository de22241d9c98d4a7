/**
 * Reuses the CPU backend's buffers, as src/gpu/buffer-pool.ts does the GPU's: a training step asks for the same
 * lengths every step (activations, their gradients, the loss), so a released buffer goes on a free list keyed by its
 * exact length and the next step takes it back instead of allocating — no garbage per step, and a flat heap over a
 * long run. Exact lengths, not size classes: a CpuStorage's length is its array's length, and a step's shapes repeat
 * exactly (the last, shorter batch of an epoch is one more length). Idle buffers are capped so a run through many
 * shapes does not hoard memory; past the cap a released buffer is left to the garbage collector.
 */
import type { Floats } from './storage.ts';

export interface FloatPoolStats {
  /** Buffers waiting for reuse, and their bytes. */
  idleBuffers: number;
  idleBytes: number;
  /** Buffers the pool ever created (reuse keeps this flat). */
  created: number;
}

export class FloatPool {
  private readonly free = new Map<number, Floats[]>();
  private idleBytes = 0;
  private idleBuffers = 0;
  private created = 0;

  /** `make` creates a buffer; `drop` lets one go that the pool will not keep (past the idle cap). */
  constructor(private readonly make: (n: number) => Floats, private readonly maxIdleBytes = 256 * 2 ** 20, private readonly drop: (b: Floats) => void = () => {}) {}

  /** A buffer of n elements with unspecified contents (the caller writes every element, or zeroes it). */
  take(n: number): Floats {
    const b = this.free.get(n)?.pop();
    if (b) {
      this.idleBytes -= b.byteLength;
      this.idleBuffers--;
      return b;
    }
    this.created++;
    return this.make(n);
  }

  /** Hands a buffer back; nothing may use it afterwards. */
  give(b: Floats): void {
    if (this.idleBytes + b.byteLength > this.maxIdleBytes) return this.drop(b);
    let list = this.free.get(b.length);
    if (!list) this.free.set(b.length, (list = []));
    list.push(b);
    this.idleBytes += b.byteLength;
    this.idleBuffers++;
  }

  /** Lets every idle buffer go (`drop`), as when the backend is disposed. */
  drain(): void {
    for (const list of this.free.values()) list.forEach((b) => this.drop(b));
    this.free.clear();
    this.idleBytes = 0;
    this.idleBuffers = 0;
  }

  stats(): FloatPoolStats {
    return { idleBuffers: this.idleBuffers, idleBytes: this.idleBytes, created: this.created };
  }
}
