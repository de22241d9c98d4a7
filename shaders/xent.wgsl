// Weighted sigmoid cross-entropy from logits and its gradient, elementwise:
//   loss = w · (max(x, 0) − x·z + log(1 + e^−|x|))    (TensorFlow's stable form: no exp overflow for any x)
//   dx   = dloss · w · (σ(x) − z)      (dloss per element, per model, or one value for all: the gradient of a sum)
// For a population the logits are [models, L] and labels and weights [L], shared: element i reads z[i % L].

// dlossMode: 0 broadcasts dloss[0], 1 one per element, 2 one per model (dloss[i / L]). `fused` reads it as flags
// (1: write dx, 2: add the loss to total) and `scale` (1, or 1/L for a mean); the others ignore `scale`.
struct Params { n: u32, dlossMode: u32, L: u32, scale: f32 }

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

// The training step's loss in one dispatch: workgroup m reduces model m's L elements to its loss (sum, or mean when
// scale = 1/L), writes dx = scale · w · (σ(x) − z) — the gradient for a unit gradient of that loss, which is what a
// training step seeds — and adds the loss to a running total kept on the device across the epoch's steps. It replaces
// four dispatches (elementwise loss, reduction, gradient, running sum). Each invocation sums a fixed stride of
// elements, then a fixed tree: the same order on every run and for a model in any slot of a population.
@group(0) @binding(6) var<storage, read_write> total: array<f32>;

const RWG: u32 = 64u;
var<workgroup> part: array<f32, RWG>;

@compute @workgroup_size(RWG)
fn fused(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let m = wid.x + wid.y * nwg.x;
  let base = m * p.L;
  var s = 0.0;
  if (base < p.n) {
    for (var j = li; j < p.L; j += RWG) {
      let v = x[base + j];
      s += w[j] * (max(v, 0.0) - v * z[j] + log1pSmall(exp(-abs(v))));
      if ((p.dlossMode & 1u) != 0u) { dx[base + j] = p.scale * w[j] * (sigmoid(v) - z[j]); }
    }
  }
  part[li] = s;
  workgroupBarrier();
  for (var h = RWG / 2u; h > 0u; h >>= 1u) {
    if (li < h) { part[li] += part[li + h]; }
    workgroupBarrier();
  }
  if (li == 0u && base < p.n) {
    let l = part[0] * p.scale;
    loss[m] = l;
    if ((p.dlossMode & 2u) != 0u) { total[m] += l; }
  }
}
