/** Shape errors and size checks: below backend.ts and bit-matrix.ts, which both use them. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Validates a size argument: finite, integral, ≥ min. Names the op and argument in the error. */
export function checkSize(op: string, name: string, v: number, min = 1): void {
  if (!Number.isFinite(v) || !Number.isInteger(v) || v < min) {
    throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
}

