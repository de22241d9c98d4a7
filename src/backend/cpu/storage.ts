/** CPU buffers: Float32Array to mirror the GPU's arithmetic, Float64Array for finite-difference gradient checks. */
import type { Storage } from '../backend.ts';

export type Floats = Float32Array | Float64Array;

export class CpuStorage implements Storage {
  released = false;
  /** A view's arena (see Backend.arena): the view shares its floats and lives as long as it does. */
  constructor(readonly data: Floats, readonly arena: CpuStorage | null = null) {}
  get gone(): boolean {
    return this.released || (this.arena?.released ?? false);
  }
  get length(): number {
    return this.data.length;
  }
}
