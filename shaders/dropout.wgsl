// Inverted dropout with a counter-based mask: element e keeps when word e%4 of
// Philox-4x32-10(counter = (e/4, step, stream, 0), key = (seed, 0)), as 24 bits in [0, 1), is below `keep`.
// The mask is recomputed, never stored; backward is this kernel applied to dy with the same (seed, step, stream).

// c0, c3 and k1 are zero for dropout; the `raw` entry sets them to test the generator on any counter and key.
struct Params { n: u32, keep: f32, seed: u32, step: u32, stream: u32, c0: u32, c3: u32, k1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 64u;

//#import philox

// One thread per group of four elements: one Philox call feeds four masks.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = (wid.x + wid.y * nwg.x) * WG + li;
  if (g * 4u >= p.n) { return; }
  let r = philox(vec4u(g, p.step, p.stream, 0u), vec2u(p.seed, 0u));
  for (var j = 0u; j < 4u; j++) {
    let e = g * 4u + j;
    if (e < p.n) {
      let u = f32(r[j] >> 8u) * (1.0 / 16777216.0);
      y[e] = select(0.0, x[e] / p.keep, u < p.keep);
    }
  }
}

// Raw Philox words for counters (c0 + i, step, stream, c3) and key (seed, k1): the generator's known-answer test.
@group(0) @binding(1) var<storage, read_write> words: array<vec4u>;

@compute @workgroup_size(WG)
fn raw(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  if (i >= p.n) { return; }
  words[i] = philox(vec4u(p.c0 + i, p.step, p.stream, p.c3), vec2u(p.seed, p.k1));
}
