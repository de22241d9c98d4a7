// C[b] = act(op(A[b]) · op(B[b]) + bias[b]) without workgroup memory: each invocation accumulates an 8 × 8 block of
// C in four mat4x4 registers, reading op(A) and op(B) straight from storage, 4 × 4 at a time.
// Why: on a CPU adapter (SwiftShader runs 4 invocations per SIMD group) every storage or workgroup load is a per-lane
// gather, a barrier switches coroutines, and a dynamically indexed private array lives in memory. The tiled kernel
// (matmul.wgsl) pays ~3 memory operations per multiply-add there; this one pays 1/4, and only in registers with
// constant indices. Same uniforms and bindings as matmul.wgsl; any transpose, batch and shape (edges repeat the
// last row or column, which is never stored). Workgroup ids are linearized past 65,535.

//#import matmul-params
//#import activation
//#import register-block

override WG: u32 = 64u;

fn gatherA(i: vec4u) -> vec4f { return vec4f(A[i.x], A[i.y], A[i.z], A[i.w]); }

// op(A) rows `rows` (indices of their k = 0 element) × k .. k+3 as a matrix whose column j is k + j.
fn blockA(rows: vec4u, k: u32, step: u32) -> mat4x4f {
  let o = k * step;
  return mat4x4f(gatherA(rows + o), gatherA(rows + o + step), gatherA(rows + o + 2u * step), gatherA(rows + o + 3u * step));
}

// op(B) k .. k+3 × columns `cols` as a matrix whose column j is cols[j].
fn blockB(cols: vec4u, k: u32, step: u32) -> mat4x4f {
  let ks = vec4u(k, k + 1u, k + 2u, k + 3u) * step;
  return mat4x4f(gatherB(cols.x + ks), gatherB(cols.y + ks), gatherB(cols.z + ks), gatherB(cols.w + ks));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let id = (wid.x + wid.y * nwg.x) * WG + li;
  let perBatch = p.tilesM * p.tilesN;
  if (id >= perBatch * p.batch) { return; }
  let b = id / perBatch;
  let t = id % perBatch;
  let row0 = (t / p.tilesN) * 8u;
  let col0 = (t % p.tilesN) * 8u;
  // Element (r, k) of op(A) is A[r·aRow + k·aK]; (k, c) of op(B) is B[k·bK + c·bCol].
  let aRow = select(p.K, 1u, p.transA != 0u);
  let aK = select(1u, p.M, p.transA != 0u);
  let bK = select(p.N, 1u, p.transB != 0u);
  let bCol = select(1u, p.K, p.transB != 0u);
  let aBase = b * p.strideA;
  let bBase = b * p.strideB;
  let rows0 = aBase + min(row0 + vec4u(0u, 1u, 2u, 3u), vec4u(p.M - 1u)) * aRow;
  let rows1 = aBase + min(row0 + vec4u(4u, 5u, 6u, 7u), vec4u(p.M - 1u)) * aRow;
  let cols0 = bBase + min(col0 + vec4u(0u, 1u, 2u, 3u), vec4u(p.N - 1u)) * bCol;
  let cols1 = bBase + min(col0 + vec4u(4u, 5u, 6u, 7u), vec4u(p.N - 1u)) * bCol;

  var acc00 = mat4x4f(); var acc01 = mat4x4f(); var acc10 = mat4x4f(); var acc11 = mat4x4f();
  var k = 0u;
  for (; k + 4u <= p.K; k += 4u) {
    let a0 = blockA(rows0, k, aK);
    let a1 = blockA(rows1, k, aK);
    let b0 = blockB(cols0, k, bK);
    let b1 = blockB(cols1, k, bK);
    acc00 += a0 * b0; acc01 += a0 * b1; acc10 += a1 * b0; acc11 += a1 * b1;
  }
  for (; k < p.K; k++) {
    let a0 = gatherA(rows0 + k * aK);
    let a1 = gatherA(rows1 + k * aK);
    let b0 = gatherB(cols0 + k * bK);
    let b1 = gatherB(cols1 + k * bK);
    acc00 += outer(a0, b0); acc01 += outer(a0, b1); acc10 += outer(a1, b0); acc11 += outer(a1, b1);
  }
  storeBlock(b, row0, col0, 0u, 0u, acc00);
  storeBlock(b, row0, col0, 0u, 1u, acc01);
  storeBlock(b, row0, col0, 1u, 0u, acc10);
  storeBlock(b, row0, col0, 1u, 1u, acc11);
}
