// Sum (times `scale`, so mean too) of x viewed as [outer, axis, inner] over `axis`, each output reducing the chunk
// [chunk·chunkLen, (chunk+1)·chunkLen) of the axis: a two-pass reduction writes [outer, chunks, inner] first, then
// reduces the chunks (src/backend/webgpu/reduce-config.ts picks the entry and the passes).
//   tree:      one workgroup per output; threads stride the chunk and meet in a tree in workgroup memory (GPUs).
//   serial:    one thread per output loops over its chunk (short axes; every axis on a software adapter, where
//              barriers are expensive).
// Workgroup ids are linearized past 65,535.

struct Params { outer: u32, axis: u32, inner: u32, chunkLen: u32, chunks: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

// The slice output o reduces: x[(oi · axis + a) · inner + ii] for a in [start, end).
struct Slice { oi: u32, ii: u32, start: u32, end: u32 }

fn slice(o: u32) -> Slice {
  let ii = o % p.inner;
  let ci = (o / p.inner) % p.chunks;
  let start = ci * p.chunkLen;
  return Slice(o / (p.inner * p.chunks), ii, start, min(start + p.chunkLen, p.axis));
}

@compute @workgroup_size(WG)
fn tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= p.outer * p.chunks * p.inner) { return; }
  let s = slice(o);
  var acc = 0.0;
  for (var a = s.start + li; a < s.end; a += WG) {
    acc += x[(s.oi * p.axis + a) * p.inner + s.ii];
  }
  partial[li] = acc;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (li < w) { partial[li] += partial[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[o] = partial[0] * p.scale; }
}

@compute @workgroup_size(WG)
fn serial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let o = (wid.x + wid.y * nwg.x) * WG + li;
  if (o >= p.outer * p.chunks * p.inner) { return; }
  let s = slice(o);
  var acc = 0.0;
  for (var a = s.start; a < s.end; a++) {
    acc += x[(s.oi * p.axis + a) * p.inner + s.ii];
  }
  out[o] = acc * p.scale;
}
