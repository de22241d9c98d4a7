// matmul-blocked.wgsl with the A loads shared across a subgroup of 4: the four lanes of a subgroup own four
// neighbouring 8 × 8 blocks of C in one block row, so they need the same 8 rows of op(A). Each lane loads 2 of them
// and subgroupBroadcast hands them to the others — a register shuffle on SwiftShader, where subgroups are its
// 4-wide SIMD groups, instead of 24 more per-lane gathers per 4 k. Chosen only for adapters whose subgroup size is
// fixed at 4 (matmul-config.ts); needs the `subgroups` feature. Same uniforms and bindings as matmul.wgsl.
//   general: any transpose and shape, scalar loads.
//   aligned: A [M, K] and B [K, N] untransposed with K and N multiples of 4: rows of A and B read as vec4.
enable subgroups;

//#import matmul-params
//#import activation
//#import register-block
// The same buffers seen as vec4, for the `aligned` entry point (a binding may have two views if no entry uses both).
@group(0) @binding(1) var<storage, read> A4: array<vec4f>;
@group(0) @binding(2) var<storage, read> B4: array<vec4f>;

override WG: u32 = 64u;

// Which blocks a lane owns. Lanes past the end (or past the last column block) compute on clamped indices and store
// nothing: every lane must reach the broadcasts, so none returns early.
struct Owner { b: u32, row0: u32, col0: u32, live: bool }

fn owner(wid: vec3u, nwg: vec3u, li: u32, lane: u32) -> Owner {
  let id = (wid.x + wid.y * nwg.x) * WG + li;
  let quads = (p.tilesN + 3u) / 4u;
  let q = id / 4u;
  let perBatch = p.tilesM * quads;
  let t = q % perBatch;
  let col0 = ((t % quads) * 4u + lane) * 8u;
  return Owner(min(q / perBatch, p.batch - 1u), (t / quads) * 8u, col0, q < perBatch * p.batch && col0 < p.N);
}

// Rows 0-3 (first) and 4-7 (second) of the block from the two rows each lane loaded: x is row 2·lane, y row 2·lane+1,
// each a vec4 over 4 consecutive k. The result's column j is k + j.
fn shareA(x: vec4f, y: vec4f) -> array<mat4x4f, 2> {
  return array<mat4x4f, 2>(
    transpose(mat4x4f(subgroupBroadcast(x, 0u), subgroupBroadcast(y, 0u), subgroupBroadcast(x, 1u), subgroupBroadcast(y, 1u))),
    transpose(mat4x4f(subgroupBroadcast(x, 2u), subgroupBroadcast(y, 2u), subgroupBroadcast(x, 3u), subgroupBroadcast(y, 3u))));
}

@compute @workgroup_size(WG)
fn general(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32,
           @builtin(subgroup_invocation_id) lane: u32) {
  let o = owner(wid, nwg, li, lane);
  let aRow = select(p.K, 1u, p.transA != 0u);
  let aK = select(1u, p.M, p.transA != 0u);
  let bK = select(p.N, 1u, p.transB != 0u);
  let bCol = select(1u, p.K, p.transB != 0u);
  let aBase = o.b * p.strideA;
  let bBase = o.b * p.strideB;
  let rx = aBase + min(o.row0 + 2u * lane, p.M - 1u) * aRow;
  let ry = aBase + min(o.row0 + 2u * lane + 1u, p.M - 1u) * aRow;
  let cols0 = bBase + min(o.col0 + vec4u(0u, 1u, 2u, 3u), vec4u(p.N - 1u)) * bCol;
  let cols1 = bBase + min(o.col0 + vec4u(4u, 5u, 6u, 7u), vec4u(p.N - 1u)) * bCol;

  var acc00 = mat4x4f(); var acc01 = mat4x4f(); var acc10 = mat4x4f(); var acc11 = mat4x4f();
  var k = 0u;
  for (; k + 4u <= p.K; k += 4u) {
    let ks = vec4u(k, k + 1u, k + 2u, k + 3u);
    let ia = ks * aK;
    let a = shareA(vec4f(A[rx + ia.x], A[rx + ia.y], A[rx + ia.z], A[rx + ia.w]), vec4f(A[ry + ia.x], A[ry + ia.y], A[ry + ia.z], A[ry + ia.w]));
    let ib = ks * bK;
    let b0 = mat4x4f(gatherB(cols0.x + ib), gatherB(cols0.y + ib), gatherB(cols0.z + ib), gatherB(cols0.w + ib));
    let b1 = mat4x4f(gatherB(cols1.x + ib), gatherB(cols1.y + ib), gatherB(cols1.z + ib), gatherB(cols1.w + ib));
    acc00 += a[0] * b0; acc01 += a[0] * b1; acc10 += a[1] * b0; acc11 += a[1] * b1;
  }
  for (; k < p.K; k++) {
    let x = A[rx + k * aK];
    let y = A[ry + k * aK];
    let a0 = vec4f(subgroupBroadcast(x, 0u), subgroupBroadcast(y, 0u), subgroupBroadcast(x, 1u), subgroupBroadcast(y, 1u));
    let a1 = vec4f(subgroupBroadcast(x, 2u), subgroupBroadcast(y, 2u), subgroupBroadcast(x, 3u), subgroupBroadcast(y, 3u));
    let b0 = gatherB(cols0 + k * bK);
    let b1 = gatherB(cols1 + k * bK);
    acc00 += outer(a0, b0); acc01 += outer(a0, b1); acc10 += outer(a1, b0); acc11 += outer(a1, b1);
  }
  if (o.live) {
    storeBlock(o.b, o.row0, o.col0, 0u, 0u, acc00);
    storeBlock(o.b, o.row0, o.col0, 0u, 1u, acc01);
    storeBlock(o.b, o.row0, o.col0, 1u, 0u, acc10);
    storeBlock(o.b, o.row0, o.col0, 1u, 1u, acc11);
  }
}

@compute @workgroup_size(WG)
fn aligned(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  let o = owner(wid, nwg, li, lane);
  // Indices count vec4s: row r of A starts at (strideA·b + r·K) / 4, row k of B at (strideB·b + k·N) / 4.
  let K4 = p.K / 4u;
  let N4 = p.N / 4u;
  let rx = (o.b * p.strideA) / 4u + min(o.row0 + 2u * lane, p.M - 1u) * K4;
  let ry = (o.b * p.strideA) / 4u + min(o.row0 + 2u * lane + 1u, p.M - 1u) * K4;
  var c0 = (o.b * p.strideB) / 4u + min(o.col0 / 4u, N4 - 1u);
  var c1 = (o.b * p.strideB) / 4u + min(o.col0 / 4u + 1u, N4 - 1u);

  var acc00 = mat4x4f(); var acc01 = mat4x4f(); var acc10 = mat4x4f(); var acc11 = mat4x4f();
  for (var k = 0u; k < K4; k++) {
    let a = shareA(A4[rx + k], A4[ry + k]);
    // Rows k .. k+3 of B as the rows of a matrix, so the transpose's column j is column j of the block.
    let b0 = transpose(mat4x4f(B4[c0], B4[c0 + N4], B4[c0 + 2u * N4], B4[c0 + 3u * N4]));
    let b1 = transpose(mat4x4f(B4[c1], B4[c1 + N4], B4[c1 + 2u * N4], B4[c1 + 3u * N4]));
    acc00 += a[0] * b0; acc01 += a[0] * b1; acc10 += a[1] * b0; acc11 += a[1] * b1;
    c0 += 4u * N4;
    c1 += 4u * N4;
  }
  if (o.live) {
    storeBlock(o.b, o.row0, o.col0, 0u, 0u, acc00);
    storeBlock(o.b, o.row0, o.col0, 0u, 1u, acc01);
    storeBlock(o.b, o.row0, o.col0, 1u, 0u, acc10);
    storeBlock(o.b, o.row0, o.col0, 1u, 1u, acc11);
  }
}
