// The sparse first layer. X is a 0/1 matrix [rows, cols] given as CSR set-column indices (src/backend/bit-matrix.ts),
// shared by `models` weight sets W [models, cols, n]:
//   forward:    y[m, r, :] = act(Σ_{j ∈ X[r]} W[m, j, :] + bias[m])      (a sum of ~30 rows of W for ECFP bits)
//   transposed: dW[m, c, :] = Σ_{r : X[r, c] = 1} dz[m, r, :]            (the weight gradient)
//               db[m, :]    = Σ_r dz[m, r, :]                            (the bias gradient, with hasBias)
// The transpose's CSR was built on the host with rows ascending, so each sum runs in a fixed order: no atomics and
// the same result on every run. One invocation per (model, row or column, 8 outputs): each set bit's index is loaded
// once for 8 columns (25 % faster than 4 on SwiftShader; 16 gained nothing more). Ids linearized past 65,535.
// One u32 buffer holds [offsets | indices | tOffsets | tIndices]; the uniforms say where each part starts.

struct Params {
  rows: u32, cols: u32, n: u32, models: u32,
  indices: u32, tOffsets: u32, tIndices: u32, groups: u32,
  hasBias: u32, strideBias: u32, act: u32, dbAt: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> csr: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
// The transposed product has no bias input: its output takes binding 3, and with hasBias so does the bias gradient
// (the column sums of dz per model: the sums over the transpose's extra column, which holds every row), from dbAt.
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

//#import activation

override WG: u32 = 64u;

// Sum over list entries [start, end) (starting at `list` in csr) of rows of `src` [·, n] at base + entry · n, for
// the 8 columns c0 .. c0+7 (clamped to n - 1; the caller stores only the real ones).
fn sumRows(list: u32, start: u32, end: u32, base: u32, c0: u32) -> array<vec4f, 2> {
  let lo = min(c0 + vec4u(0u, 1u, 2u, 3u), vec4u(p.n - 1u));
  let hi = min(c0 + vec4u(4u, 5u, 6u, 7u), vec4u(p.n - 1u));
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  for (var j = start; j < end; j++) {
    let at = base + csr[list + j] * p.n;
    a += vec4f(src[at + lo.x], src[at + lo.y], src[at + lo.z], src[at + lo.w]);
    b += vec4f(src[at + hi.x], src[at + hi.y], src[at + hi.z], src[at + hi.w]);
  }
  return array<vec4f, 2>(a, b);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let id = (wid.x + wid.y * nwg.x) * WG + li;
  if (id >= p.models * p.rows * p.groups) { return; }
  let c0 = (id % p.groups) * 8u;
  let r = (id / p.groups) % p.rows;
  let m = id / (p.groups * p.rows);
  let acc = sumRows(p.indices, csr[r], csr[r + 1u], m * p.cols * p.n, c0);
  let out = (m * p.rows + r) * p.n;
  for (var i = 0u; i < 8u; i++) {
    let c = c0 + i;
    if (c >= p.n) { break; }
    var b = 0.0;
    if (p.hasBias != 0u) { b = bias[m * p.strideBias + c]; }
    y[out + c] = activate(acc[i / 4u][i % 4u] + b, p.act);
  }
}

@compute @workgroup_size(WG)
fn transposed(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let id = (wid.x + wid.y * nwg.x) * WG + li;
  let kCols = p.cols + p.hasBias;
  if (id >= p.models * kCols * p.groups) { return; }
  let c0 = (id % p.groups) * 8u;
  let k = (id / p.groups) % kCols;
  let m = id / (p.groups * kCols);
  // Column k = cols is the transpose's extra column (every row): its sums are the bias gradient.
  let acc = sumRows(p.tIndices, csr[p.tOffsets + k], csr[p.tOffsets + k + 1u], m * p.rows * p.n, c0);
  let out = select((m * p.cols + k) * p.n, p.dbAt + m * p.n, k == p.cols);
  for (var i = 0u; i < 8u; i++) {
    let c = c0 + i;
    if (c >= p.n) { break; }
    dw[out + c] = acc[i / 4u][i % 4u];
  }
}
