/** Per-model dropout keys for kernel tests: keep probabilities 0.5, 0.9, 0.25, 1 in turn, and widths short of `cols`. */
import type { ModelKeys } from '../../src/backend/backend.ts';

export function keysFor(models: number, cols: number): ModelKeys {
  return {
    keep: Array.from({ length: models }, (_, m) => [0.5, 0.9, 0.25, 1][m % 4]),
    seed: Array.from({ length: models }, (_, m) => 17 + m * 31),
    step: Array.from({ length: models }, (_, m) => 2 + m),
    width: Array.from({ length: models }, (_, m) => Math.max(1, cols - (m % 3))),
  };
}
