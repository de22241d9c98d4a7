// The uniforms and bindings every matmul variant shares (matmul.wgsl, matmul-blocked.wgsl, matmul-subgroup.wgsl),
// pulled in with `//#import matmul-params`, so the backend dispatches any variant the same way.

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  transA: u32, transB: u32, strideA: u32, strideB: u32,
  strideBias: u32, hasBias: u32, act: u32, tilesN: u32,
  tilesM: u32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;
