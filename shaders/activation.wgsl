// The fused activation of the matmul epilogues (matmul*.wgsl, bit-matmul.wgsl), pulled in with `//#import activation`:
// 0 none, 1 relu, 2 sigmoid (two branches, so exp never overflows), 3 tanh.

fn activate(v: f32, act: u32) -> f32 {
  switch act {
    case 1u: { return max(v, 0.0); }
    case 2u: { return select(exp(v) / (1.0 + exp(v)), 1.0 / (1.0 + exp(-v)), v >= 0.0); }
    case 3u: { return tanh(v); }
    default: { return v; }
  }
}
