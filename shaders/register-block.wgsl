// What the register-blocked matmuls (matmul-blocked.wgsl, matmul-subgroup.wgsl) share around their 8 × 8 blocks
// of C held as four mat4x4 registers: gathering 4 values of B, the rank-1 update, and the epilogue that stores a
// 4 × 4 sub-block with bias and activation. Pulled in with `//#import register-block`.
//#import matmul-params
//#import activation

fn gatherB(i: vec4u) -> vec4f { return vec4f(B[i.x], B[i.y], B[i.z], B[i.w]); }

// Rank-1 update for one k past the last multiple of 4: column j of the result is a · b[j].
fn outer(a: vec4f, b: vec4f) -> mat4x4f {
  return mat4x4f(a * b.x, a * b.y, a * b.z, a * b.w);
}

// Writes the 4 × 4 sub-block (row group g, column group j) of the 8 × 8 block at (row0, col0).
fn storeBlock(b: u32, row0: u32, col0: u32, g: u32, j: u32, acc: mat4x4f) {
  let cBase = b * p.M * p.N;
  for (var c = 0u; c < 4u; c++) {
    let col = col0 + j * 4u + c;
    if (col >= p.N) { break; }
    var bv = 0.0;
    if (p.hasBias != 0u) { bv = bias[b * p.strideBias + col]; }
    let v = acc[c];
    for (var r = 0u; r < 4u; r++) {
      let row = row0 + g * 4u + r;
      if (row < p.M) { C[cBase + row * p.N + col] = activate(v[r] + bv, p.act); }
    }
  }
}
