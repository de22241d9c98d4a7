// Elementwise functions and their derivatives. OP picks the function at pipeline creation (one pipeline per op),
// so the loop body has no runtime switch. Workgroup ids are linearized past 65,535.

struct Params { n: u32, alpha: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;

// 0 relu, 1 sigmoid, 2 tanh, 3 exp, 4 log, 5 neg, 6 abs, 7 square, 8 sqrt, 9 scale (alpha · x)
override OP: u32 = 0u;
override WG: u32 = 64u;

fn sigmoid(x: f32) -> f32 {
  // Two branches so exp never overflows.
  return select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0);
}

fn f(x: f32) -> f32 {
  switch OP {
    case 0u: { return max(x, 0.0); }
    case 1u: { return sigmoid(x); }
    case 2u: { return tanh(x); }
    case 3u: { return exp(x); }
    case 4u: { return log(x); }
    case 5u: { return -x; }
    case 6u: { return abs(x); }
    case 7u: { return x * x; }
    case 8u: { return sqrt(x); }
    default: { return p.alpha * x; }
  }
}

// f'(x), given y = f(x).
fn df(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return select(0.0, 1.0, x > 0.0); }
    case 1u: { return y * (1.0 - y); }
    case 2u: { return 1.0 - y * y; }
    case 3u: { return y; }
    case 4u: { return 1.0 / x; }
    case 5u: { return -1.0; }
    case 6u: { return sign(x); }
    case 7u: { return 2.0 * x; }
    case 8u: { return 0.5 / y; }
    default: { return p.alpha; }
  }
}

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i < p.n) { y[i] = f(x[i]); }
}

@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> by: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i < p.n) { dx[i] = dy[i] * df(bx[i], by[i]); }
}
