// Optimizer steps, in place over flat parameter buffers (all of a model's tensors, or many models', alike).
//   sgd:      p −= lr · g
//   momentum: v = μ·v + g;  p −= lr · v
//   adam:     m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= lr · (m / bc1) / (sqrt(v / bc2) + ε)
// with bc1 = 1 − β1^t and bc2 = 1 − β2^t computed on the host (Kingma & Ba, Algorithm 1).
// Each invocation updates 4 consecutive elements through vec4 views: on SwiftShader an Adam step over 51,200
// weights ran 1.4-2.5× faster than one element per invocation. The last vec4 may run past n into the buffer's
// padding (the buffer pool hands out multiples of 16 bytes; webgpu-backend.ts checks), which no tensor reads.

struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, bc1: f32, bc2: f32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4f>;

override WG: u32 = 64u;

// Index of this invocation's vec4, or n4 (no work) past the end.
fn index(wid: vec3u, nwg: vec3u, li: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + li;
}

fn n4() -> u32 {
  return (p.n + 3u) / 4u;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i < n4()) { param[i] -= p.lr * grad[i]; }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i < n4()) {
    let vel = p.beta1 * m[i] + grad[i];
    m[i] = vel;
    param[i] -= p.lr * vel;
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = index(wid, nwg, li);
  if (i < n4()) {
    let g = grad[i];
    let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= p.lr * (mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps);
  }
}
