/**
 * The GPU runtime under the webgpu backend: records many dispatches into one compute pass, packs their uniform
 * parameters into one arena written once per submit, and reads back with one submit and one map per call.
 * Errors Dawn reports asynchronously are kept and thrown at the next sync point (flush with check, or read).
 * A lost device (driver reset, background tab, destroy()) makes every later call throw DeviceLostError, and a
 * read pending at that moment reject with it; after `destroy()` (the backend's dispose) calls throw
 * BackendDisposedError.
 */
import type { AdapterSummary } from './adapter-info.ts';
import { BufferPool } from './buffer-pool.ts';
import { BackendDisposedError, DeviceLostError, GpuError } from './errors.ts';
import { PipelineCache, type Constants } from './pipeline-cache.ts';
import type { GpuContext } from './device.ts';
import { quietly } from './quiet-wait.ts';

const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment on every adapter we know; checked in the constructor
const UNIFORM_SLOTS = 512;
export const MAX_WORKGROUPS_PER_DIM = 65535;
/** How long a failed readback waits for `device.lost` to say whether the device went away (it comes first in Dawn). */
const LOST_WAIT_MS = 1000;
/** Cached bind groups before the cache starts over (a step binds tens; a study's shapes add a few thousand). */
const MAX_BIND_GROUPS = 8192;

export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

export interface DispatchStats {
  dispatches: number;
  submits: number;
  readbacks: number;
}

export class GpuRuntime {
  readonly device: GPUDevice;
  readonly info: AdapterSummary;
  readonly ctx: GpuContext;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly counters: DispatchStats = { dispatches: 0, submits: 0, readbacks: 0 };
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformBuffer: GPUBuffer | null = null;
  private readonly arena = new ArrayBuffer(UNIFORM_SLOT * UNIFORM_SLOTS);
  private slots = 0;
  private errors: string[] = [];
  /** Why the device is gone, from the first sign of it; null while it lives. */
  private lost: { reason: string; detail: string } | null = null;
  private disposed = false;
  /** A 256-byte buffer bound where a kernel's optional input (e.g. matmul bias) is absent. */
  readonly dummy: GPUBuffer;
  /**
   * Bind groups by pipeline and bound ranges. Creating one cost ~26 µs in Dawn's Node binding, more than recording
   * the dispatch; a training loop that submits once per step gets the same pooled buffers back each step, so after
   * the first steps its dispatches find theirs here. Pool buffers are never destroyed while the device lives.
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
    this.device = ctx.device;
    this.info = ctx.info;
    const lim = this.device.limits;
    if (lim.minUniformBufferOffsetAlignment > UNIFORM_SLOT) {
      throw new GpuError(`adapter needs uniform offsets aligned to ${lim.minUniformBufferOffsetAlignment} bytes; shadergrad packs them at ${UNIFORM_SLOT}`);
    }
    this.pool = new BufferPool(this.device, Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize));
    this.pipelines = new PipelineCache(this.device);
    this.device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.errors.push(ev.error.message);
    };
    this.watchLoss();
    this.dummy = this.device.createBuffer({ size: 256, usage: STORAGE_USAGE, label: 'dummy' });
  }

  /**
   * Notes the loss at its first sign. `device.lost` resolves only when the event loop turns, so a training loop that
   * records steps without awaiting would go on feeding a dead device (Dawn accepts it silently, and its reads then
   * fail with an empty AbortError): a destroy() call on this device is seen at once by wrapping the method.
   */
  private watchLoss(): void {
    const device = this.device;
    const destroy = device.destroy.bind(device);
    device.destroy = () => {
      this.markLost('destroyed', 'device.destroy() was called');
      return destroy();
    };
    device.lost.then((info) => this.markLost(info.reason, info.message));
  }

  private markLost(reason: string, detail: string): void {
    if (!this.disposed && !this.lost) this.lost = { reason, detail };
  }

  /** Why the device was lost ({reason, detail} of GPUDeviceLostInfo), or null while it lives or after dispose. */
  get loss(): { reason: string; detail: string } | null {
    return this.lost;
  }

  /** Throws when the device can take no more work: lost (DeviceLostError) or disposed (BackendDisposedError). */
  assertAlive(op: string): void {
    if (this.disposed) throw new BackendDisposedError('webgpu', op);
    if (this.lost) throw new DeviceLostError(this.lost.reason, this.lost.detail);
  }

  get maxStorageBytes(): number {
    return Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
  }

  createStorage(bytes: number, label: string): GPUBuffer {
    this.assertAlive(label);
    return this.pool.acquire(Math.max(bytes, 4), STORAGE_USAGE, label);
  }

  upload(buf: GPUBuffer, data: Float32Array | Uint32Array): void {
    this.assertAlive('upload');
    this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * Records one dispatch. `buffers` bind in order at bindings 1.. (binding 0 is the uniform block), and `workgroups`
   * is the total count: it is folded into x and y so no dimension exceeds 65,535; kernels linearize it back.
   */
  dispatch(shader: string, entry: string, constants: Constants, uniforms: ArrayBuffer, buffers: (GPUBuffer | GPUBufferBinding)[], workgroups: number): void {
    this.assertAlive(`${shader}.wgsl:${entry}`);
    if (workgroups === 0) return;
    if (uniforms.byteLength > UNIFORM_SLOT) throw new GpuError(`uniform block of ${shader}.wgsl:${entry} is ${uniforms.byteLength} bytes > ${UNIFORM_SLOT}`);
    const pipeline = this.pipelines.get(shader, entry, constants);
    if (this.slots === UNIFORM_SLOTS) this.submit();
    const pass = this.beginPass();
    const offset = this.slots++ * UNIFORM_SLOT;
    new Uint8Array(this.arena, offset, uniforms.byteLength).set(new Uint8Array(uniforms));
    let key = `${this.id(pipeline)}|${this.id(this.uniformBuffer!)}:${offset}`;
    for (const b of buffers) key += 'buffer' in b ? `|${this.id(b.buffer)}:${b.offset}:${b.size}` : `|${this.id(b)}`;
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.uniformBuffer!, offset, size: UNIFORM_SLOT } }];
      buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: 'buffer' in b ? b : { buffer: b } }));
      bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: `${shader}.wgsl:${entry}` });
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      this.bindGroups.set(key, bindGroup);
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const x = Math.min(workgroups, MAX_WORKGROUPS_PER_DIM);
    const y = Math.ceil(workgroups / x);
    if (y > MAX_WORKGROUPS_PER_DIM) throw new GpuError(`${shader}.wgsl:${entry} needs ${workgroups} workgroups, more than ${MAX_WORKGROUPS_PER_DIM}² in one dispatch`);
    pass.dispatchWorkgroups(x, y);
    this.counters.dispatches++;
  }

  private id(o: object): number {
    let i = this.ids.get(o);
    if (i === undefined) this.ids.set(o, (i = this.nextId++));
    return i;
  }

  /** Zeroes a buffer (outside any compute pass, as WebGPU requires). */
  clear(buf: GPUBuffer, bytes: number): void {
    this.assertAlive('clear');
    this.endPass();
    this.encoderOrNew().clearBuffer(buf, 0, Math.ceil(bytes / 4) * 4);
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    this.assertAlive('copy');
    this.endPass();
    this.encoderOrNew().copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 4) * 4);
  }

  /** Submits everything recorded so far (no-op when nothing is). */
  flush(): void {
    this.assertAlive('flush');
    this.submit();
  }

  private submit(): void {
    if (!this.encoder) {
      // Nothing recorded since the last submit, so nothing unsubmitted can still read a released buffer.
      this.pool.onSubmit();
      return;
    }
    this.endPass();
    if (this.uniformBuffer) {
      this.device.queue.writeBuffer(this.uniformBuffer, 0, this.arena, 0, Math.max(this.slots, 1) * UNIFORM_SLOT);
      this.pool.release(this.uniformBuffer);
      this.uniformBuffer = null;
    }
    this.slots = 0;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.counters.submits++;
    this.pool.onSubmit();
  }

  /** Reads several buffers with one submit; resolves after the GPU finished everything recorded before. */
  async read(bufs: { buffer: GPUBuffer; bytes: number; offset?: number }[]): Promise<ArrayBuffer[]> {
    this.assertAlive('read');
    this.endPass();
    const enc = this.encoderOrNew();
    const staging = bufs.map(({ buffer, bytes, offset }) => {
      const size = Math.max(4, Math.ceil(bytes / 4) * 4);
      const s = this.pool.acquire(size, 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */, 'readback');
      enc.copyBufferToBuffer(buffer, offset ?? 0, s, 0, size);
      return s;
    });
    this.submit();
    this.counters.readbacks++;
    try {
      await quietly(() => Promise.all(staging.map((s) => s.mapAsync(0x0001 /* GPUMapMode.READ */))));
    } catch (e) {
      throw await this.whyReadFailed(e);
    }
    const out = staging.map((s, i) => {
      const copy = s.getMappedRange(0, Math.max(4, Math.ceil(bufs[i].bytes / 4) * 4)).slice(0, bufs[i].bytes);
      s.unmap();
      this.pool.release(s);
      return copy;
    });
    await this.check('read');
    return out;
  }

  /**
   * A map that fails because the device went away rejects with an empty AbortError; `device.lost` says why, and in
   * Dawn it resolves first, but a browser may order them the other way, so wait for it a moment.
   */
  private async whyReadFailed(e: unknown): Promise<unknown> {
    if (!this.lost && !this.disposed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const info = await quietly(() => Promise.race([this.device.lost, new Promise<null>((r) => (timer = setTimeout(() => r(null), LOST_WAIT_MS)))]));
      clearTimeout(timer);
      if (info) this.markLost(info.reason, info.message);
    }
    try {
      await this.check('read');
    } catch (why) {
      return why;
    }
    return e;
  }

  /** Throws the first GPU error (compile, validation, out-of-memory, device lost) seen since the last check. */
  async check(op = 'check'): Promise<void> {
    this.assertAlive(op);
    await this.pipelines.check();
    if (this.errors.length > 0) {
      const errs = this.errors;
      this.errors = [];
      throw new GpuError(`WebGPU error${errs.length > 1 ? `s (${errs.length})` : ''}: ${errs.join('\n')}`);
    }
  }

  /** Waits until the queue is idle: for timing, not needed for correctness. */
  async sync(): Promise<void> {
    this.flush();
    await quietly(() => this.device.queue.onSubmittedWorkDone());
    await this.check('sync');
  }

  /**
   * Frees the device and everything made on it; idempotent, and safe on a lost device. Recorded, unsubmitted work is
   * dropped: nobody can read its results any more. Later calls throw BackendDisposedError.
   */
  destroy(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pass = null;
    this.encoder = null;
    this.uniformBuffer = null;
    this.bindGroups.clear();
    this.pipelines.clear();
    this.pool.dispose();
    this.device.onuncapturederror = null;
    this.device.destroy();
  }

  private encoderOrNew(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'shadergrad batch' });
    return this.encoder;
  }

  private beginPass(): GPUComputePassEncoder {
    if (!this.uniformBuffer) {
      this.uniformBuffer = this.pool.acquire(UNIFORM_SLOT * UNIFORM_SLOTS, 0x40 /* UNIFORM */ | 0x08 /* COPY_DST */, 'uniform arena');
    }
    if (!this.pass) this.pass = this.encoderOrNew().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }
}
