// C[b] = act(op(A[b]) · op(B[b]) + bias[b]) for hardware GPUs at sizes where the product is compute-bound.
// Why a fourth kernel: on an NVIDIA H200 the tiled kernel (matmul.wgsl, 32 × 32 tiles, ≤ 4 × 4 per thread, scalar
// workgroup loads, one tile in flight) reached 7.3 TFLOP/s at 8192², 40 % of tfjs-webgpu. What a GPU needs and
// this file does:
//   - large workgroup tiles (TILE_M × TILE_N, e.g. 128 × 128, 128 × 64, 64 × 64) so each value read from global
//     memory feeds TILE_M or TILE_N multiply-adds;
//   - WPT_M × WPT_N outputs per invocation (4 or 8 each: up to 8 × 8 = 16 vec4 accumulators in registers), so each
//     value read from workgroup memory feeds 4-8 multiply-adds;
//   - A stored transposed in workgroup memory ([k][m], like B's [k][n]): the inner loop reads a vec4 of 4 rows of A
//     and a vec4 of 4 columns of B per k; neighbouring invocations read neighbouring vec4s (no bank conflicts) or
//     the same one (a broadcast). The transpose happens in registers (4 × 4 blocks), so every write to workgroup
//     memory is a whole vec4 from one invocation;
//   - double-buffered tiles: the next K-tile is fetched from global memory into registers while the current one is
//     multiplied, then written to the other buffer — one barrier per K-tile;
//   - vec4 global loads (entry `vectorized`) when K and N are multiples of 4 (and M too when A is transposed), and no
//     bounds checks at all when the shape is a multiple of the tiles (override CHECKED = false, folded away when the
//     pipeline is built); any other shape takes entry `general` (scalar loads, every access checked);
//   - tiles visited in groups of GROUP_M tile rows, so the workgroups running together share panels of A and B in
//     the L2 cache.
// Software adapters keep the register kernels (matmul-blocked/-subgroup.wgsl): a barrier there switches coroutines,
// and this kernel runs at tiled-kernel speed. Same uniforms, bindings and epilogue (bias per batch or shared,
// activation) as the others; transposes and batch (either operand broadcast, stride 0) through the uniforms;
// workgroup ids linearized past 65,535. src/backend/webgpu/matmul-config.ts checks the overrides against the
// device's limits (workgroup memory 2·(TILE_M + TILE_N)·TILE_K·4 bytes; invocations (TILE_M/WPT_M)·(TILE_N/WPT_N)).

//#import matmul-params
//#import activation
// The same buffers seen as vec4, for the `vectorized` entry point (a binding may have two views if no entry uses both).
@group(0) @binding(1) var<storage, read> A4: array<vec4f>;
@group(0) @binding(2) var<storage, read> B4: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> C4: array<vec4f>;

override TILE_M: u32 = 128u;
override TILE_N: u32 = 128u;
// A multiple of 4 (the vec4 loads run along k when A or B is not transposed).
override TILE_K: u32 = 8u;
// Outputs per invocation along M and N: 4 or 8 (one or two vec4s).
override WPT_M: u32 = 8u;
override WPT_N: u32 = 8u;
override GROUP_M: u32 = 8u;
// False only when M, N and K are multiples of TILE_M, TILE_N and TILE_K (the `vectorized` entry): no checks compiled in.
override CHECKED: bool = true;
override WG_X: u32 = TILE_N / WPT_N;
override WG_Y: u32 = TILE_M / WPT_M;

// Staging registers per invocation for one K-tile of A and of B, in vec4s. matmul-config.ts keeps the units below
// within MAX_LOADS per invocation.
const MAX_LOADS = 8u;
// Units each invocation stages per K-tile (see stash): derived, never set by the host. Loop bounds fixed when the
// pipeline is built let the compiler unroll and keep only the staging registers a configuration uses.
override THREADS: u32 = WG_X * WG_Y;
override A_BLOCKS: u32 = (TILE_M * TILE_K / 16u + THREADS - 1u) / THREADS;
override A_VEC4S: u32 = (TILE_M * TILE_K / 4u + THREADS - 1u) / THREADS;
override B_BLOCKS: u32 = (TILE_N * TILE_K / 16u + THREADS - 1u) / THREADS;
override B_VEC4S: u32 = (TILE_N * TILE_K / 4u + THREADS - 1u) / THREADS;

// Two K-tiles each: As[buffer][k][m / 4], Bs[buffer][k][n / 4].
var<workgroup> As: array<vec4f, TILE_K * TILE_M / 2u>;
var<workgroup> Bs: array<vec4f, TILE_K * TILE_N / 2u>;

struct Tile { b: u32, row0: u32, col0: u32, aBase: u32, bBase: u32 }

// Which tile of which product this workgroup computes (the caller returns early past the last one).
fn place(wid: vec3u, nwg: vec3u) -> Tile {
  let id = wid.x + wid.y * nwg.x;
  let perBatch = p.tilesM * p.tilesN;
  let b = min(id / perBatch, p.batch - 1u);
  let t = id % perBatch;
  // GROUP_M tile rows at a time, column by column within the group.
  let width = GROUP_M * p.tilesN;
  let first = (t / width) * GROUP_M;
  let rows = min(p.tilesM - first, GROUP_M);
  let inGroup = t % width;
  return Tile(b, (first + inGroup % rows) * TILE_M, (inGroup / rows) * TILE_N, b * p.strideA, b * p.strideB);
}

fn threads() -> u32 { return THREADS; }

// How a K-tile is staged. Where memory runs along m (transposed A) or n (B), a unit is one vec4 at one k, and unit
// u is vec4 u of the tile's [k][m/4] or [k][n/4] layout. Where it runs along k (A, or transposed B), a unit is a
// 4 × 4 block: 4 rows (columns) × 4 consecutive k, staged as 4 vec4s along k and written to workgroup memory as 4
// vec4s along m (n) — whole vec4s, so no two invocations ever write parts of one. Block u covers rows
// 4·(u / (TILE_K/4)) .. +3 and k 4·(u % (TILE_K/4)) .. +3. Consecutive invocations read consecutive addresses.
fn stash(buf: u32, li: u32, ra: ptr<function, array<vec4f, MAX_LOADS>>, rb: ptr<function, array<vec4f, MAX_LOADS>>) {
  let aOff = buf * TILE_K * (TILE_M / 4u);
  if (p.transA == 0u) {
    for (var e = 0u; e < A_BLOCKS; e++) {
      let u = li + e * threads();
      if (u >= TILE_M * TILE_K / 16u) { break; }
      let m4 = u / (TILE_K / 4u);
      let k = (u % (TILE_K / 4u)) * 4u;
      for (var c = 0u; c < 4u; c++) {
        As[aOff + (k + c) * (TILE_M / 4u) + m4] = vec4f((*ra)[4u * e][c], (*ra)[4u * e + 1u][c], (*ra)[4u * e + 2u][c], (*ra)[4u * e + 3u][c]);
      }
    }
  } else {
    for (var e = 0u; e < A_VEC4S; e++) {
      let u = li + e * threads();
      if (u >= TILE_M * TILE_K / 4u) { break; }
      As[aOff + u] = (*ra)[e];
    }
  }
  let bOff = buf * TILE_K * (TILE_N / 4u);
  if (p.transB == 0u) {
    for (var e = 0u; e < B_VEC4S; e++) {
      let u = li + e * threads();
      if (u >= TILE_N * TILE_K / 4u) { break; }
      Bs[bOff + u] = (*rb)[e];
    }
  } else {
    for (var e = 0u; e < B_BLOCKS; e++) {
      let u = li + e * threads();
      if (u >= TILE_N * TILE_K / 16u) { break; }
      let n4 = u / (TILE_K / 4u);
      let k = (u % (TILE_K / 4u)) * 4u;
      for (var c = 0u; c < 4u; c++) {
        Bs[bOff + (k + c) * (TILE_N / 4u) + n4] = vec4f((*rb)[4u * e][c], (*rb)[4u * e + 1u][c], (*rb)[4u * e + 2u][c], (*rb)[4u * e + 3u][c]);
      }
    }
  }
}

// acc[(i·4 + r)·2 + j] holds row 4·(ty + i·WG_Y) + r, columns 4·(tx + j·WG_X) .. +3 of the tile.
fn multiply(buf: u32, tx: u32, ty: u32, acc: ptr<function, array<vec4f, 16>>) {
  let aOff = buf * TILE_K * (TILE_M / 4u);
  let bOff = buf * TILE_K * (TILE_N / 4u);
  for (var k = 0u; k < TILE_K; k++) {
    var a: array<vec4f, 2>;
    var b: array<vec4f, 2>;
    for (var i = 0u; i < WPT_M / 4u; i++) { a[i] = As[aOff + k * (TILE_M / 4u) + ty + i * WG_Y]; }
    for (var j = 0u; j < WPT_N / 4u; j++) { b[j] = Bs[bOff + k * (TILE_N / 4u) + tx + j * WG_X]; }
    for (var i = 0u; i < WPT_M / 4u; i++) {
      for (var r = 0u; r < 4u; r++) {
        for (var j = 0u; j < WPT_N / 4u; j++) {
          let q = (i * 4u + r) * 2u + j;
          (*acc)[q] = fma(vec4f(a[i][r]), b[j], (*acc)[q]);
        }
      }
    }
  }
}

// Scalar loads, each checked: any shape and transpose.
fn ldA(i: u32, ok: bool) -> f32 { if (ok) { return A[i]; } return 0.0; }
fn ldB(i: u32, ok: bool) -> f32 { if (ok) { return B[i]; } return 0.0; }

fn fetch(t: Tile, k0: u32, li: u32, ra: ptr<function, array<vec4f, MAX_LOADS>>, rb: ptr<function, array<vec4f, MAX_LOADS>>) {
  if (p.transA == 0u) {
    for (var e = 0u; e < A_BLOCKS; e++) {
      let u = li + e * threads();
      if (u >= TILE_M * TILE_K / 16u) { break; }
      let m = t.row0 + (u / (TILE_K / 4u)) * 4u;
      let k = k0 + (u % (TILE_K / 4u)) * 4u;
      for (var r = 0u; r < 4u; r++) {
        var v: vec4f;
        for (var c = 0u; c < 4u; c++) { v[c] = ldA(t.aBase + (m + r) * p.K + k + c, m + r < p.M && k + c < p.K); }
        (*ra)[4u * e + r] = v;
      }
    }
  } else {
    for (var e = 0u; e < A_VEC4S; e++) {
      let u = li + e * threads();
      if (u >= TILE_M * TILE_K / 4u) { break; }
      let k = k0 + u / (TILE_M / 4u);
      let m = t.row0 + (u % (TILE_M / 4u)) * 4u;
      var v: vec4f;
      for (var c = 0u; c < 4u; c++) { v[c] = ldA(t.aBase + k * p.M + m + c, k < p.K && m + c < p.M); }
      (*ra)[e] = v;
    }
  }
  if (p.transB == 0u) {
    for (var e = 0u; e < B_VEC4S; e++) {
      let u = li + e * threads();
      if (u >= TILE_N * TILE_K / 4u) { break; }
      let k = k0 + u / (TILE_N / 4u);
      let n = t.col0 + (u % (TILE_N / 4u)) * 4u;
      var v: vec4f;
      for (var c = 0u; c < 4u; c++) { v[c] = ldB(t.bBase + k * p.N + n + c, k < p.K && n + c < p.N); }
      (*rb)[e] = v;
    }
  } else {
    for (var e = 0u; e < B_BLOCKS; e++) {
      let u = li + e * threads();
      if (u >= TILE_N * TILE_K / 16u) { break; }
      let n = t.col0 + (u / (TILE_K / 4u)) * 4u;
      let k = k0 + (u % (TILE_K / 4u)) * 4u;
      for (var r = 0u; r < 4u; r++) {
        var v: vec4f;
        for (var c = 0u; c < 4u; c++) { v[c] = ldB(t.bBase + (n + r) * p.K + k + c, n + r < p.N && k + c < p.K); }
        (*rb)[4u * e + r] = v;
      }
    }
  }
}

// vec4 loads: K % 4 == 0, N % 4 == 0, and M % 4 == 0 when A is transposed, so a vec4 is in or out as a whole.
fn fetch4(t: Tile, k0: u32, li: u32, ra: ptr<function, array<vec4f, MAX_LOADS>>, rb: ptr<function, array<vec4f, MAX_LOADS>>) {
  if (p.transA == 0u) {
    for (var e = 0u; e < A_BLOCKS; e++) {
      let u = li + e * threads();
      if (u >= TILE_M * TILE_K / 16u) { break; }
      let m = t.row0 + (u / (TILE_K / 4u)) * 4u;
      let k = k0 + (u % (TILE_K / 4u)) * 4u;
      for (var r = 0u; r < 4u; r++) {
        if (CHECKED && !(m + r < p.M && k < p.K)) { (*ra)[4u * e + r] = vec4f(); }
        else { (*ra)[4u * e + r] = A4[(t.aBase + (m + r) * p.K + k) / 4u]; }
      }
    }
  } else {
    for (var e = 0u; e < A_VEC4S; e++) {
      let u = li + e * threads();
      if (u >= TILE_M * TILE_K / 4u) { break; }
      let k = k0 + u / (TILE_M / 4u);
      let m = t.row0 + (u % (TILE_M / 4u)) * 4u;
      if (CHECKED && !(k < p.K && m < p.M)) { (*ra)[e] = vec4f(); } else { (*ra)[e] = A4[(t.aBase + k * p.M + m) / 4u]; }
    }
  }
  if (p.transB == 0u) {
    for (var e = 0u; e < B_VEC4S; e++) {
      let u = li + e * threads();
      if (u >= TILE_N * TILE_K / 4u) { break; }
      let k = k0 + u / (TILE_N / 4u);
      let n = t.col0 + (u % (TILE_N / 4u)) * 4u;
      if (CHECKED && !(k < p.K && n < p.N)) { (*rb)[e] = vec4f(); } else { (*rb)[e] = B4[(t.bBase + k * p.N + n) / 4u]; }
    }
  } else {
    for (var e = 0u; e < B_BLOCKS; e++) {
      let u = li + e * threads();
      if (u >= TILE_N * TILE_K / 16u) { break; }
      let n = t.col0 + (u / (TILE_K / 4u)) * 4u;
      let k = k0 + (u % (TILE_K / 4u)) * 4u;
      for (var r = 0u; r < 4u; r++) {
        if (CHECKED && !(n + r < p.N && k < p.K)) { (*rb)[4u * e + r] = vec4f(); }
        else { (*rb)[4u * e + r] = B4[(t.bBase + (n + r) * p.K + k) / 4u]; }
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn general(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  if (wid.x + wid.y * nwg.x >= p.tilesM * p.tilesN * p.batch) { return; }
  let t = place(wid, nwg);
  var acc: array<vec4f, 16>;
  var ra: array<vec4f, MAX_LOADS>;
  var rb: array<vec4f, MAX_LOADS>;
  let tiles = (p.K + TILE_K - 1u) / TILE_K;
  fetch(t, 0u, li, &ra, &rb);
  stash(0u, li, &ra, &rb);
  workgroupBarrier();
  for (var kt = 0u; kt < tiles; kt++) {
    let more = kt + 1u < tiles;
    if (more) { fetch(t, (kt + 1u) * TILE_K, li, &ra, &rb); }
    multiply(kt % 2u, lid.x, lid.y, &acc);
    if (more) { stash((kt + 1u) % 2u, li, &ra, &rb); }
    workgroupBarrier();
  }
  let cBase = t.b * p.M * p.N;
  for (var i = 0u; i < WPT_M / 4u; i++) {
    for (var r = 0u; r < 4u; r++) {
      let row = t.row0 + (lid.y + i * WG_Y) * 4u + r;
      if (row >= p.M) { break; }
      for (var j = 0u; j < WPT_N / 4u; j++) {
        let col = t.col0 + (lid.x + j * WG_X) * 4u;
        let v = acc[(i * 4u + r) * 2u + j];
        for (var c = 0u; c < 4u; c++) {
          if (col + c >= p.N) { break; }
          var x = v[c];
          if (p.hasBias != 0u) { x += bias[t.b * p.strideBias + col + c]; }
          C[cBase + row * p.N + col + c] = activate(x, p.act);
        }
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn vectorized(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  if (wid.x + wid.y * nwg.x >= p.tilesM * p.tilesN * p.batch) { return; }
  let t = place(wid, nwg);
  var acc: array<vec4f, 16>;
  var ra: array<vec4f, MAX_LOADS>;
  var rb: array<vec4f, MAX_LOADS>;
  let tiles = (p.K + TILE_K - 1u) / TILE_K;
  fetch4(t, 0u, li, &ra, &rb);
  stash(0u, li, &ra, &rb);
  workgroupBarrier();
  for (var kt = 0u; kt < tiles; kt++) {
    let more = kt + 1u < tiles;
    if (more) { fetch4(t, (kt + 1u) * TILE_K, li, &ra, &rb); }
    multiply(kt % 2u, lid.x, lid.y, &acc);
    if (more) { stash((kt + 1u) % 2u, li, &ra, &rb); }
    workgroupBarrier();
  }
  // N % 4 == 0: a vec4 of C (and of a bias row) is in or out as a whole.
  let cBase = t.b * p.M * p.N;
  for (var i = 0u; i < WPT_M / 4u; i++) {
    for (var r = 0u; r < 4u; r++) {
      let row = t.row0 + (lid.y + i * WG_Y) * 4u + r;
      if (CHECKED && row >= p.M) { break; }
      for (var j = 0u; j < WPT_N / 4u; j++) {
        let col = t.col0 + (lid.x + j * WG_X) * 4u;
        if (CHECKED && col >= p.N) { break; }
        var v = acc[(i * 4u + r) * 2u + j];
        if (p.hasBias != 0u) { v += bias4[(t.b * p.strideBias + col) / 4u]; }
        C4[(cBase + row * p.N + col) / 4u] = vec4f(activate(v.x, p.act), activate(v.y, p.act), activate(v.z, p.act), activate(v.w, p.act));
      }
    }
  }
}
