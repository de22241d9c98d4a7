// Dropout for a population: x is [models, rows, cols] and model m has its own keep probability, seed, step and real
// width (the population pads hidden layers to the widest model). Model m's element (r, c), c < width, is its logical
// element e = r·width + c, and keeps when word e%4 of Philox((e/4, step, stream, 0), (seed, 0)) is below keep —
// exactly the solo run's mask (dropout.wgsl), whatever the population's size, the model's slot or the padding.
// Padding (c ≥ width) comes out 0. One invocation per element: each draws its own Philox block (4× the solo
// kernel's draws, which a hardware GPU hides; the population shares one dispatch for every model instead).

struct Params { models: u32, rows: u32, cols: u32, stream: u32 }
// Per model: seed, step, width, keep (f32 bits).
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> keys: array<vec4u>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 64u;

//#import philox

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  let perModel = p.rows * p.cols;
  if (i >= p.models * perModel) { return; }
  let m = i / perModel;
  let rc = i % perModel;
  let r = rc / p.cols;
  let c = rc % p.cols;
  let k = keys[m];
  let width = k.z;
  if (c >= width) {
    y[i] = 0.0;
    return;
  }
  let keep = bitcast<f32>(k.w);
  let e = r * width + c;
  let words = philox(vec4u(e / 4u, k.y, p.stream, 0u), vec2u(k.x, 0u));
  let u = f32(words[e % 4u] >> 8u) * (1.0 / 16777216.0);
  y[i] = select(0.0, x[i] / keep, u < keep);
}

// Without padding (every model as wide as the layer) model m's logical elements are its slice in order, so one
// invocation per (model, group of four) draws one Philox block for four masks, as dropout.wgsl does: a quarter of the
// generator's work of `main`.
@compute @workgroup_size(WG)
fn unpadded(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let id = (wid.x + wid.y * nwg.x) * WG + li;
  let perModel = p.rows * p.cols;
  let groups = (perModel + 3u) / 4u;
  if (id >= p.models * groups) { return; }
  let m = id / groups;
  let g = id % groups;
  let k = keys[m];
  let keep = bitcast<f32>(k.w);
  let words = philox(vec4u(g, k.y, p.stream, 0u), vec2u(k.x, 0u));
  for (var j = 0u; j < 4u; j++) {
    let e = g * 4u + j;
    if (e < perModel) {
      let i = m * perModel + e;
      let u = f32(words[j] >> 8u) * (1.0 / 16777216.0);
      y[i] = select(0.0, x[i] / keep, u < keep);
    }
  }
}

// The backward of relu followed by this dropout, in one pass: with y = mask · relu(a) / keep, y > 0 exactly when the
// unit was kept and a > 0, so da = dy / keep where y > 0 and 0 elsewhere — no mask to redraw, no relu output to keep.
// The padding (y = 0) gets 0. Binding 2 holds y, binding 3 dy, binding 4 da.
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> da: array<f32>;

@compute @workgroup_size(WG)
fn reluBackward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  let perModel = p.rows * p.cols;
  if (i >= p.models * perModel) { return; }
  let keep = bitcast<f32>(keys[i / perModel].w);
  da[i] = select(0.0, dy[i] / keep, x[i] > 0.0);
}
