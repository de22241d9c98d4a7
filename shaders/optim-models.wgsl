// Optimizer steps for a population: parameters [models, per] stored back to back, one learning rate, bias
// correction and frozen flag per model (a table written once per step on the host: lr, bc1, bc2, active). A frozen
// model's parameters and moments are left untouched, so a pruned or finished trial costs no more than its share
// of a dispatch and its weights stay as they were. Scalar loads: a model's slice (a bias of 1) need not be a
// multiple of 4. Same arithmetic as optim.wgsl, so a population of one is the solo step.
// L2 weight decay (DECAY): model m's gradient becomes g + λ[m]·p before the step, as torch.optim's weight_decay
// (Adam's moments see the decayed gradient); λ[m] is table row models + m. An override, so the pipelines of the
// undecayed step compile without it (SwiftShader pays for an untaken branch).

// The *Seg entries also read models, segBase (their first segment's row) and firstWg (see below); with DECAY
// every entry reads models (the λ rows follow the models' rows).
struct Params { n: u32, per: u32, beta1: f32, beta2: f32, eps: f32, nseg: u32, models: u32, segBase: u32, firstWg: array<vec4u, 4> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> m1: array<f32>;
@group(0) @binding(5) var<storage, read_write> m2: array<f32>;

override WG: u32 = 64u;
override DECAY: bool = false;

// Model m's λ (0 without DECAY).
fn decayOf(m: u32) -> f32 {
  if (DECAY) { return table[p.models + m].x; }
  return 0.0;
}

// Element i's gradient, decayed by its model's λ.
fn gradOf(i: u32, m: u32) -> f32 {
  if (DECAY) { return grad[i] + decayOf(m) * param[i]; }
  return grad[i];
}

fn index(wid: vec3u, nwg: vec3u, li: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + li;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= p.n) { return; }
  let t = table[i / p.per];
  if (t.w == 0.0) { return; }
  param[i] -= t.x * gradOf(i, i / p.per);
}

@compute @workgroup_size(WG)
fn momentum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= p.n) { return; }
  let t = table[i / p.per];
  if (t.w == 0.0) { return; }
  let vel = p.beta1 * m1[i] + gradOf(i, i / p.per);
  m1[i] = vel;
  param[i] -= t.x * vel;
}

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i >= p.n) { return; }
  let t = table[i / p.per];
  if (t.w == 0.0) { return; }
  let g = gradOf(i, i / p.per);
  let mi = p.beta1 * m1[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * m2[i] + (1.0 - p.beta2) * g * g;
  m1[i] = mi;
  m2[i] = vi;
  param[i] -= t.x * (mi / t.y) / (sqrt(vi / t.z) + p.eps);
}

// The same steps four elements at a time, for parameter tensors whose per-model size is a multiple of 4 (a first
// layer's weights): one table lookup and vec4 loads per invocation. On SwiftShader, where every storage load is a
// per-lane gather, this ran ~2.8× faster than the scalar entries on a population's 1024×50 weights.
@group(0) @binding(2) var<storage, read_write> param4: array<vec4f>;
@group(0) @binding(3) var<storage, read> grad4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> m14: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> m24: array<vec4f>;

// Four elements' gradients, decayed by their models' λs (lam: one per lane).
fn grad4Of(i: u32, lam: vec4f) -> vec4f {
  if (DECAY) { return grad4[i] + lam * param4[i]; }
  return grad4[i];
}

// The vec4 updates of one model's four elements (t = its table row, m the model), shared by the *4 and *Seg entries.
fn sgdRow(i: u32, t: vec4f, m: u32) {
  param4[i] -= t.x * grad4Of(i, vec4f(decayOf(m)));
}

fn momentumRow(i: u32, t: vec4f, m: u32) {
  let vel = p.beta1 * m14[i] + grad4Of(i, vec4f(decayOf(m)));
  m14[i] = vel;
  param4[i] -= t.x * vel;
}

fn adamRow(i: u32, t: vec4f, m: u32) {
  let g = grad4Of(i, vec4f(decayOf(m)));
  let mi = p.beta1 * m14[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * m24[i] + (1.0 - p.beta2) * g * g;
  m14[i] = mi;
  m24[i] = vi;
  param4[i] -= t.x * (mi / t.y) / (sqrt(vi / t.z) + p.eps);
}

@compute @workgroup_size(WG)
fn sgd4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i * 4u >= p.n) { return; }
  let m = (i * 4u) / p.per;
  let t = table[m];
  if (t.w == 0.0) { return; }
  sgdRow(i, t, m);
}

@compute @workgroup_size(WG)
fn momentum4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i * 4u >= p.n) { return; }
  let m = (i * 4u) / p.per;
  let t = table[m];
  if (t.w == 0.0) { return; }
  momentumRow(i, t, m);
}

@compute @workgroup_size(WG)
fn adam4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i * 4u >= p.n) { return; }
  let m = (i * 4u) / p.per;
  let t = table[m];
  if (t.w == 0.0) { return; }
  adamRow(i, t, m);
}

// Every parameter tensor of a population in one dispatch: param, grad and moments are arenas (Backend.arena) and
// segment k = (offset, length, per, first workgroup) is one [models, per] tensor in them, a row of the table after
// the models' rows (16 segments at most per dispatch). Each workgroup works inside one segment: segment k's
// workgroups start at firstWg[k] (unused entries are 0xffffffff), so a workgroup finds its segment by counting the
// starts ≤ its id, over the SEG_VECS vec4s of starts in use. Offsets are aligned to at least 4 floats, so a vec4
// never spans two tensors. Same arithmetic per element as the entries above. What SwiftShader charged on a step's
// 51k parameters, each measured before it was dropped: a search loop per invocation as much as the update itself,
// an indexed uniform array more than a table row, a loop over 4 vec4s per invocation more than 1, an untaken branch
// as much as a taken one (hence the override constants: each pipeline compiles one path).
override SEG_VECS: u32 = 4u;

// The vec4 this invocation updates (or -1 past its segment's end) and the segment, in `s`.
fn segVec4(wid: vec3u, nwg: vec3u, li: u32, s: ptr<function, vec4u>) -> i32 {
  let w = wid.x + wid.y * nwg.x;
  let one = vec4u(1u);
  var k = dot(select(vec4u(0u), one, vec4u(w) >= p.firstWg[0]), one);
  if (SEG_VECS > 1u) { k += dot(select(vec4u(0u), one, vec4u(w) >= p.firstWg[1]), one); }
  if (SEG_VECS > 2u) { k += dot(select(vec4u(0u), one, vec4u(w) >= p.firstWg[2]), one); }
  if (SEG_VECS > 3u) { k += dot(select(vec4u(0u), one, vec4u(w) >= p.firstWg[3]), one); }
  let sg = bitcast<vec4u>(table[p.models + p.segBase + k - 1u]);
  *s = sg;
  let local = ((w - sg.w) * WG + li) * 4u;
  if (local >= sg.y) { return -1; }
  return i32((sg.x + local) / 4u);
}

// Whether some segment's per-model slice is not whole vec4s (a bias of one output) in a population of several
// models: only then can a vec4's lanes belong to different models, each looked up (a frozen lane keeps its values).
// Otherwise the four lanes share the first's model: one lookup, and a frozen model returns early (the *4 entries).
override LANE_MODELS: bool = true;

// The model of each lane of the vec4 at element e of segment s.
fn laneModels(e: u32, s: vec4u) -> vec4u {
  return min((vec4u(e - s.x) + vec4u(0u, 1u, 2u, 3u)) / s.z, vec4u(p.models - 1u));
}

// [lr, bc1, bc2, active] of each lane's model, transposed: x holds the 4 learning rates, and so on.
fn laneTable(mdl: vec4u) -> mat4x4f {
  let a = table[mdl.x];
  let b = table[mdl.y];
  let c = table[mdl.z];
  let d = table[mdl.w];
  return mat4x4f(vec4f(a.x, b.x, c.x, d.x), vec4f(a.y, b.y, c.y, d.y), vec4f(a.z, b.z, c.z, d.z), vec4f(a.w, b.w, c.w, d.w));
}

// Each lane's λ (zeros without DECAY).
fn laneDecay(mdl: vec4u) -> vec4f {
  if (DECAY) { return vec4f(decayOf(mdl.x), decayOf(mdl.y), decayOf(mdl.z), decayOf(mdl.w)); }
  return vec4f(0.0);
}

fn rowModel(e: u32, s: vec4u) -> u32 {
  return min((e - s.x) / s.z, p.models - 1u);
}

@compute @workgroup_size(WG)
fn sgdSeg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  var s: vec4u;
  let j = segVec4(wid, nwg, li, &s);
  if (j < 0) { return; }
  let i = u32(j);
  if (!LANE_MODELS) {
    let m = rowModel(i * 4u, s);
    let t = table[m];
    if (t.w == 0.0) { return; }
    sgdRow(i, t, m);
    return;
  }
  let mdl = laneModels(i * 4u, s);
  let t = laneTable(mdl);
  let w = param4[i];
  param4[i] = select(w, w - t[0] * grad4Of(i, laneDecay(mdl)), t[3] != vec4f(0.0));
}

@compute @workgroup_size(WG)
fn momentumSeg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  var s: vec4u;
  let j = segVec4(wid, nwg, li, &s);
  if (j < 0) { return; }
  let i = u32(j);
  if (!LANE_MODELS) {
    let m = rowModel(i * 4u, s);
    let t = table[m];
    if (t.w == 0.0) { return; }
    momentumRow(i, t, m);
    return;
  }
  let mdl = laneModels(i * 4u, s);
  let t = laneTable(mdl);
  let on = t[3] != vec4f(0.0);
  let v0 = m14[i];
  let vel = p.beta1 * v0 + grad4Of(i, laneDecay(mdl));
  m14[i] = select(v0, vel, on);
  let w = param4[i];
  param4[i] = select(w, w - t[0] * vel, on);
}

@compute @workgroup_size(WG)
fn adamSeg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  var s: vec4u;
  let j = segVec4(wid, nwg, li, &s);
  if (j < 0) { return; }
  let i = u32(j);
  if (!LANE_MODELS) {
    let m = rowModel(i * 4u, s);
    let t = table[m];
    if (t.w == 0.0) { return; }
    adamRow(i, t, m);
    return;
  }
  let mdl = laneModels(i * 4u, s);
  let t = laneTable(mdl);
  let on = t[3] != vec4f(0.0);
  let g = grad4Of(i, laneDecay(mdl));
  let m0 = m14[i];
  let v0 = m24[i];
  let mi = p.beta1 * m0 + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v0 + (1.0 - p.beta2) * g * g;
  m14[i] = select(m0, mi, on);
  m24[i] = select(v0, vi, on);
  let w = param4[i];
  param4[i] = select(w, w - t[0] * (mi / t[1]) / (sqrt(vi / t[2]) + p.eps), on);
}
