// Sum (times `scale`, so mean too) of x viewed as [outer, axis, inner] over `axis`. One workgroup per output,
// threads stride the axis and meet in a tree in workgroup memory. A long axis with few outputs is split in chunks
// (pass 1 writes [outer, chunks, inner], pass 2 reduces the chunks) so both passes keep the GPU busy.

struct Params { outer: u32, axis: u32, inner: u32, chunkLen: u32, chunks: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= p.outer * p.chunks * p.inner) { return; }
  let ii = o % p.inner;
  let ci = (o / p.inner) % p.chunks;
  let oi = o / (p.inner * p.chunks);
  let start = ci * p.chunkLen;
  let end = min(start + p.chunkLen, p.axis);
  var s = 0.0;
  for (var a = start + li; a < end; a += WG) {
    s += x[(oi * p.axis + a) * p.inner + ii];
  }
  partial[li] = s;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (li < w) { partial[li] += partial[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[o] = partial[0] * p.scale; }
}

// Short axes (≤ 64, e.g. a bias gradient's few rows, or a per-row sum of few columns): one thread per output, so a
// workgroup of 64 threads is not spent on three additions.
@compute @workgroup_size(WG)
fn small(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let o = (wid.x + wid.y * nwg.x) * WG + li;
  if (o >= p.outer * p.inner) { return; }
  let ii = o % p.inner;
  let oi = o / p.inner;
  var s = 0.0;
  for (var a = 0u; a < p.axis; a++) {
    s += x[(oi * p.axis + a) * p.inner + ii];
  }
  out[o] = s * p.scale;
}
