/**
 * The float32 CPU path's optimizer step over a population's arenas (ModelOptimSpec): one pass per segment and model
 * with that model's constants hoisted — Adam as torch.optim.Adam writes it, step = lr/(1−β1^t) and
 * denominator √v/√(1−β2^t) + ε, one division and one square root per parameter where the oracle's literal formula
 * takes three divisions (the results agree to float32 rounding). Weight decay λ adds λ·p to the gradient first.
 *
 * Moments below float32's smallest normal number (2^-126) are stored as 0, as GPUs flush subnormals: a parameter
 * whose gradient stays 0 (a fingerprint bit no batch sets) has moments that decay geometrically, and after ~800
 * steps they would be subnormal, whose every load and store takes a microcode assist — it made the 12-task step
 * ~10× slower after a few epochs. The update a flushed moment would have made is below 2^-126 / ε ≈ 1e-30.
 */
import type { ModelOptimSpec } from '../backend.ts';
import type { Floats } from './storage.ts';
import type { HeapThreads } from './heap-threads.ts';
import type { WasmHeap } from './wasm-heap.ts';

/** float32's smallest normal number. */
const TINY = 2 ** -126;

/**
 * With `heap`, Adam without weight decay over arrays that all live in it runs in WebAssembly SIMD (wasm-heap.ts),
 * float32 arithmetic four at a time, and each range's last < 4 elements here.
 */
export function optimModelsFast(p: Floats, g: Floats, mo: Floats | null, vo: Floats | null, s: ModelOptimSpec, per: number, heap: WasmHeap | null = null, threads: HeapThreads | null = null): void {
  const segments = s.segments ?? [{ offset: 0, length: p.length }];
  const kind = s.kind === 'sgd' ? 0 : s.kind === 'momentum' ? 1 : 2;
  const simd = kind === 2 && heap && [p, g, mo, vo].every((a) => a instanceof Float32Array && heap.owns(a)) ? heap : null;
  for (const seg of segments) {
    // Integers as int32 (| 0): a loop index the compiler sees as a float64 slows every typed-array access.
    const segPer = (s.segments ? seg.length / s.models : per) | 0;
    for (let k = 0; k < s.models; k++) {
      const t = s.t[k];
      if (!(t > 0)) continue;
      let lo = (seg.offset + k * segPer) | 0;
      const hi = (lo + segPer) | 0, wd = s.weightDecay ? s.weightDecay[k] : 0;
      if (simd && wd === 0) {
        const { b1, b2 } = { b1: s.beta1, b2: s.beta2 };
        lo = simd.adam(p as Float32Array, g as Float32Array, mo as Float32Array, vo as Float32Array, lo, hi, b1, b2, s.eps, s.lr[k] / (1 - b1 ** t), 1 / Math.sqrt(1 - b2 ** t), threads);
      }
      updateRange(kind, p, g, mo ?? p, vo ?? p, lo, hi, s.lr[k], s.beta1, s.beta2, s.eps, t, wd);
    }
  }
}

/**
 * One model's parameters [lo, hi) of one segment: 0 sgd, 1 momentum, 2 Adam. All kinds sit in this one function on
 * purpose: it is then too large for the optimizing compiler to inline into optimModelsFast, where (V8 12, Node 20)
 * the Adam loop ran 6× slower once the caller was optimized, a few epochs into training.
 */
function updateRange(kind: number, p: Floats, g: Floats, m: Floats, v: Floats, lo: number, hi: number, lr: number, b1: number, b2: number, eps: number, t: number, wd: number): void {
  if (kind === 0) {
    if (wd === 0) for (let i = lo; i < hi; i++) p[i] -= lr * g[i];
    else for (let i = lo; i < hi; i++) p[i] -= lr * (g[i] + wd * p[i]);
    return;
  }
  if (kind === 1) {
    for (let i = lo; i < hi; i++) {
      let mi = b1 * m[i] + (wd === 0 ? g[i] : g[i] + wd * p[i]);
      if (mi < TINY && mi > -TINY) mi = 0;
      m[i] = mi;
      p[i] -= lr * mi;
    }
    return;
  }
  const stepSize = lr / (1 - b1 ** t), invSqrtBc2 = 1 / Math.sqrt(1 - b2 ** t);
  const c1 = 1 - b1, c2 = 1 - b2;
  if (wd === 0) {
    for (let i = lo; i < hi; i++) {
      const gi = g[i];
      let mi = b1 * m[i] + c1 * gi, vi = b2 * v[i] + c2 * gi * gi;
      if (mi < TINY && mi > -TINY) mi = 0;
      if (vi < TINY) vi = 0;
      m[i] = mi;
      v[i] = vi;
      p[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
    }
    return;
  }
  for (let i = lo; i < hi; i++) {
    const gi = g[i] + wd * p[i];
    let mi = b1 * m[i] + c1 * gi, vi = b2 * v[i] + c2 * gi * gi;
    if (mi < TINY && mi > -TINY) mi = 0;
    if (vi < TINY) vi = 0;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
  }
}
