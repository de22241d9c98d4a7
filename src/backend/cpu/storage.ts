/** CPU buffers: Float32Array to mirror the GPU's arithmetic, Float64Array for finite-difference gradient checks. */
import type { Storage } from '../backend.ts';

export type Floats = Float32Array | Float64Array;

export class CpuStorage implements Storage {
  released = false;
  constructor(readonly data: Floats) {}
  get length(): number {
    return this.data.length;
  }
}
