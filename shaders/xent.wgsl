// Weighted sigmoid cross-entropy from logits and its gradient, elementwise:
//   loss = w · (max(x, 0) − x·z + log(1 + e^−|x|))    (TensorFlow's stable form: no exp overflow for any x)
//   dx   = dloss · w · (σ(x) − z)      (dloss per element, per model, or one value for all: the gradient of a sum)
// For a population the logits are [models, L] and labels and weights [L], shared: element i reads z[i % L].

// dlossMode: 0 broadcasts dloss[0], 1 one per element, 2 one per model (dloss[i / L]).
struct Params { n: u32, dlossMode: u32, L: u32, _p2: u32 }

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
  let j = i % p.L;
  loss[i] = w[j] * (max(v, 0.0) - v * z[j] + log1pSmall(exp(-abs(v))));
}

@group(0) @binding(4) var<storage, read> dloss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  if (i >= p.n) { return; }
  let j = i % p.L;
  let d = select(select(0u, i, p.dlossMode == 1u), i / p.L, p.dlossMode == 2u);
  dx[i] = dloss[d] * w[j] * (sigmoid(x[i]) - z[j]);
}
