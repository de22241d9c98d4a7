// Weighted sigmoid cross-entropy from logits and its gradient, elementwise:
//   loss = w · (max(x, 0) − x·z + log(1 + e^−|x|))    (TensorFlow's stable form: no exp overflow for any x)
//   dx   = dloss · w · (σ(x) − z)      (dloss per element, or one value for all: the gradient of their sum)

// dlossStride: 1, or 0 to broadcast dloss[0].
struct Params { n: u32, dlossStride: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> z: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;

override WG: u32 = 64u;

fn log1pSmall(u: f32) -> f32 {
  // log(1 + u) for u in [0, 1]: below 1e-4 the f32 sum 1 + u loses u's digits, the series keeps them.
  return select(log(1.0 + u), u * (1.0 - 0.5 * u), u < 1e-4);
}

fn sigmoid(v: f32) -> f32 {
  return select(exp(v) / (1.0 + exp(v)), 1.0 / (1.0 + exp(-v)), v >= 0.0);
}

@group(0) @binding(4) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  if (i >= p.n) { return; }
  let v = x[i];
  loss[i] = w[i] * (max(v, 0.0) - v * z[i] + log1pSmall(exp(-abs(v))));
}

@group(0) @binding(4) var<storage, read> dloss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  if (i >= p.n) { return; }
  dx[i] = dloss[i * p.dlossStride] * w[i] * (sigmoid(x[i]) - z[i]);
}
