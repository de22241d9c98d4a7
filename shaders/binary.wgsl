// out[b,r,c] = a[...] op b[...] over a [batch, rows, cols] view; a stride of 0 broadcasts an operand along an axis
// (bias rows, per-row scales, scalars, one model's tensor shared across a batch of models).

struct Params {
  B: u32, R: u32, C: u32, n: u32,
  aB: u32, aR: u32, aC: u32, _p0: u32,
  bB: u32, bR: u32, bC: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 greaterEqual (1 or 0)
override OP: u32 = 0u;
override WG: u32 = 64u;

fn f(u: f32, v: f32) -> f32 {
  switch OP {
    case 0u: { return u + v; }
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return u / v; }
    case 4u: { return select(v, u, u >= v); }
    default: { return select(0.0, 1.0, u >= v); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  if (i >= p.n) { return; }
  let c = i % p.C;
  let r = (i / p.C) % p.R;
  let bb = i / (p.C * p.R);
  out[i] = f(a[bb * p.aB + r * p.aR + c * p.aC], b[bb * p.bB + r * p.bR + c * p.bC]);
}
