/**
 * Reuses GPU buffers by size bucket. A released buffer waits in `pending` until the commands that used it have been
 * submitted: `queue.writeBuffer` runs before any later submit, so handing it out earlier could overwrite data that
 * recorded-but-unsubmitted commands still read.
 */
export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers held for reuse (free or waiting for a submit). */
  idleBuffers: number;
  idleBytes: number;
  /** Buffers ever created by the device (reuse keeps this flat). */
  created: number;
}

const MIN_BYTES = 256;

/** Size classes: four per power of two, so at most ~19 % of a buffer is slack. */
export function bucketBytes(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private readonly live = new Set<GPUBuffer>();
  private liveBytes = 0;
  private idleBytes = 0;
  private idleCount = 0;
  private created = 0;
  private disposed = false;

  constructor(private readonly device: GPUDevice, private readonly maxBufferBytes: number) {}

  acquire(bytes: number, usage: number, label = ''): GPUBuffer {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`buffer size must be a finite byte count ≥ 0, got ${bytes}`);
    const size = bucketBytes(bytes);
    if (size > this.maxBufferBytes) {
      throw new RangeError(`buffer of ${bytes} bytes${label ? ` for ${label}` : ''} exceeds the device limit of ${this.maxBufferBytes} bytes (maxStorageBufferBindingSize)`);
    }
    const list = this.free.get(`${usage}:${size}`);
    let buf = list?.pop();
    if (buf) {
      this.idleBytes -= size;
      this.idleCount--;
    } else {
      buf = this.device.createBuffer({ size, usage, label });
      this.created++;
    }
    this.live.add(buf);
    this.liveBytes += size;
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (this.disposed) return; // its buffer is destroyed already; tidy-up code after dispose() must not fail
    if (!this.live.delete(buf)) throw new Error(`buffer "${buf.label}" released twice or not from this pool`);
    this.liveBytes -= buf.size;
    this.pending.push(buf);
    this.idleBytes += buf.size;
    this.idleCount++;
  }

  /** Called right after queue.submit: buffers released before it may now be reused. */
  onSubmit(): void {
    for (const b of this.pending) {
      const key = `${b.usage}:${b.size}`;
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      list.push(b);
    }
    this.pending = [];
  }

  stats(): PoolStats {
    return { liveBuffers: this.live.size, liveBytes: this.liveBytes, idleBuffers: this.idleCount, idleBytes: this.idleBytes, created: this.created };
  }

  /** Destroys idle buffers (memory pressure, or before device.destroy()). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.idleBytes = this.pending.reduce((s, b) => s + b.size, 0);
    this.idleCount = this.pending.length;
  }

  /**
   * Destroys every buffer it made, live ones too, and forgets them: the device is going away (or already gone) and
   * no storage handed out may be used again. Releasing one later is harmless.
   */
  dispose(): void {
    this.disposed = true;
    for (const list of this.free.values()) for (const b of list) b.destroy();
    for (const b of [...this.pending, ...this.live]) b.destroy();
    this.free.clear();
    this.pending = [];
    this.live.clear();
    this.liveBytes = this.idleBytes = this.idleCount = 0;
  }
}
