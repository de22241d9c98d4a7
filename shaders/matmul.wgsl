// C[b] = act(op(A[b]) · op(B[b]) + bias[b]), op = optional transpose, tiled in workgroup memory.
// Each thread accumulates a WPT_M × WPT_N block of C in registers; workgroup ids are linearized so a batch of many
// small products (many models at once) or a large matrix never exceeds 65,535 workgroups in one dimension.

//#import matmul-params
//#import activation

override TILE_M: u32 = 32u;
override TILE_N: u32 = 32u;
override TILE_K: u32 = 16u;
// Outputs per thread along M and N; at most 4 each (the register block below is 4 × 4).
override WPT_M: u32 = 4u;
override WPT_N: u32 = 4u;
override WG_X: u32 = TILE_N / WPT_N;
override WG_Y: u32 = TILE_M / WPT_M;

var<workgroup> As: array<f32, TILE_M * TILE_K>; // [m][k]
var<workgroup> Bs: array<f32, TILE_K * TILE_N>; // [k][n]

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let tile = wid.x + wid.y * nwg.x;
  let perBatch = p.tilesM * p.tilesN;
  if (tile >= perBatch * p.batch) { return; }
  let b = tile / perBatch;
  let t = tile % perBatch;
  let row0 = (t / p.tilesN) * TILE_M;
  let col0 = (t % p.tilesN) * TILE_N;
  let aBase = b * p.strideA;
  let bBase = b * p.strideB;
  let threads = WG_X * WG_Y;

  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    // Consecutive threads read consecutive addresses in either layout.
    for (var i = li; i < TILE_M * TILE_K; i += threads) {
      var m: u32; var k: u32;
      if (p.transA == 0u) { m = i / TILE_K; k = i % TILE_K; } else { k = i / TILE_M; m = i % TILE_M; }
      let gm = row0 + m; let gk = k0 + k;
      var v = 0.0;
      if (gm < p.M && gk < p.K) {
        v = A[aBase + select(gm * p.K + gk, gk * p.M + gm, p.transA != 0u)];
      }
      As[m * TILE_K + k] = v;
    }
    for (var i = li; i < TILE_K * TILE_N; i += threads) {
      var k: u32; var n: u32;
      if (p.transB == 0u) { k = i / TILE_N; n = i % TILE_N; } else { n = i / TILE_K; k = i % TILE_K; }
      let gk = k0 + k; let gn = col0 + n;
      var v = 0.0;
      if (gk < p.K && gn < p.N) {
        v = B[bBase + select(gk * p.N + gn, gn * p.K + gk, p.transB != 0u)];
      }
      Bs[k * TILE_N + n] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < TILE_K; k++) {
      var bv: array<f32, 4>;
      for (var j = 0u; j < WPT_N; j++) { bv[j] = Bs[k * TILE_N + lid.x + j * WG_X]; }
      for (var i = 0u; i < WPT_M; i++) {
        let av = As[(lid.y + i * WG_Y) * TILE_K + k];
        for (var j = 0u; j < WPT_N; j++) { acc[i * 4u + j] += av * bv[j]; }
      }
    }
    workgroupBarrier();
  }

  let cBase = b * p.M * p.N;
  for (var i = 0u; i < WPT_M; i++) {
    let r = row0 + lid.y + i * WG_Y;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < WPT_N; j++) {
      let c = col0 + lid.x + j * WG_X;
      if (c >= p.N) { continue; }
      var v = acc[i * 4u + j];
      if (p.hasBias != 0u) { v += bias[b * p.strideBias + c]; }
      C[cBase + r * p.N + c] = activate(v, p.act);
    }
  }
}
