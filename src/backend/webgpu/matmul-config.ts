/**
 * The one place that picks matmul tile sizes from the shapes (as tfjs's BatchMatMul_impl picks its variant):
 * the values become the shader's `override` constants, so each choice is its own cached pipeline.
 */
export interface MatmulTiles {
  TILE_M: number;
  TILE_N: number;
  TILE_K: number;
  WPT_M: number;
  WPT_N: number;
}

export function chooseMatmulTiles(m: number, n: number, _k: number): MatmulTiles {
  // A thin output (a layer's 1-50 units, or a gradient of a few rows) wastes most of a 32-wide tile.
  const tm = m <= 8 ? 8 : m <= 16 ? 16 : 32;
  const tn = n <= 8 ? 8 : n <= 16 ? 16 : 32;
  return { TILE_M: tm, TILE_N: tn, TILE_K: 16, WPT_M: Math.min(4, tm / 8 * 2), WPT_N: Math.min(4, tn / 8 * 2) };
}

export function checkTiles(t: MatmulTiles): void {
  if (t.WPT_M > 4 || t.WPT_N > 4 || t.TILE_M % t.WPT_M || t.TILE_N % t.WPT_N) {
    throw new RangeError(`matmul tiles ${JSON.stringify(t)}: WPT must be ≤ 4 and divide its tile`);
  }
}
