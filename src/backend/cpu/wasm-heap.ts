/**
 * Float32 arenas in WebAssembly memory, and Adam over them in WebAssembly SIMD (four floats per instruction — JavaScript
 * has no vector arithmetic, and over the 518k parameters of the 12-task network Adam in scalar JavaScript took half
 * the CPU step). The memory is *shared* (SharedArrayBuffer-backed) so that growing it never detaches the arrays
 * already handed out; arenas come from a first-fit free list over it. Where shared memory or SIMD is missing (a page
 * that is not cross-origin isolated, an old engine) `wasmHeap()` is null and the CPU backend keeps its arenas in plain
 * arrays and runs the JavaScript loops (fast-optim.ts).
 *
 * The module is written out below in the binary format (no toolchain at build time): one function,
 * adam(p, g, m, v, groups, β1, 1−β1, β2, 1−β2, step, 1/√(1−β2^t), ε) over `groups` runs of four floats at byte
 * addresses p, g, m, v — m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g·g (each flushed to 0 below 2^-126, as
 * fast-optim.ts does), p −= step·m / (√v·(1/√(1−β2^t)) + ε), in float32; and
 * gather(offsets, bases, rows, groups, out, bias, relu, rowBytes): for each row i, four columns at a time (the last
 * width mod 4 one at a time), the float32 sum of
 * the source rows at byte addresses bases[offsets[i] .. offsets[i+1]) in that order, then + bias, then relu — the sparse
 * layer's forward and weight gradient (fast-bit-matmul.ts); and mm(a, b, m, k, groups, out, bias, relu, rowBytes):
 * C = A·B (+ bias, relu) for A [m, k] and B, C rows of rowBytes, float32 sums over k ascending, zeros of A skipped
 * (fast-matmul.ts, when n is a multiple of 4); philox(out, quads, c0, step, stream, seed): dropout's Philox-4x32-10
 * words, four blocks per vector (32×32→64 products as i64x2 extmuls), stored in element order; and keepDiv(x, out,
 * mask, groups, thr, mode, keep): out = x / keep in float64 rounded once, and-ed with a mask (dropout forward: word
 * >>> 8 < thr; relu-dropout backward: y > 0) — no branch on a coin flip (fast-dropout.ts). The module is also
 * instantiated by a helper thread over the same memory (heap-threads.ts).
 */

import type { AdamFn, GatherFn, HeapThreads } from './heap-threads.ts';

const PAGE = 65536;
/** float32's smallest normal number, little-endian bytes of 2^-126. */
const TINY_BYTES = [0x00, 0x00, 0x80, 0x00];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

const str = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

// Opcodes (core and SIMD, 0xfd-prefixed).
const GET = 0x20, SET = 0x21, TEE = 0x22;
const simd = (op: number) => [0xfd, ...leb(op)];
const LOAD = [...simd(0x00), 2, 0], STORE = [...simd(0x0b), 2, 0];
const SPLAT = simd(0x13), LT = simd(0x43), ANDNOT = simd(0x4f), AND = simd(0x4e), ABS = simd(0xe0), SQRT = simd(0xe3);
const ADD = simd(0xe4), SUB = simd(0xe5), MUL = simd(0xe6), DIV = simd(0xe7), GT = simd(0x44);
const ZERO = [...simd(0x0c), ...new Array(16).fill(0)];
const I32_LOAD = (offset: number) => [0x28, 2, offset];
const I32 = (v: number) => [0x41, ...sleb(v)];
const ADD_I = 0x6a, MUL_I = 0x6c, GE_U = 0x4f, NE = 0x47;
const F32_LOAD = [0x2a, 2, 0], F32_STORE = [0x38, 2, 0], F32_ZERO = [0x43, 0, 0, 0, 0], F32_ADD = 0x92, F32_GT = 0x5e, SELECT = 0x1b;
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], IF = [0x04, 0x40], END = 0x0b, BR = 0x0c, BR_IF = 0x0d;

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}

function gatherBody(): number[] {
  // Params 0 offsets, 1 bases, 2 rows, 3 groups, 4 out, 5 bias (−1: none), 6 relu, 7 output row stride in bytes;
  // locals 8 row, 9 j0, 10 j1, 11 c (byte column), 12 the output row, 13 bytes of the groups, 14 j, 15 acc (v128),
  // 16 acc (f32) of the last width mod 4 columns. The output row stride (param 7) is also the row's width in bytes.
  const c: number[] = [GET, 3, ...I32(16), MUL_I, SET, 13];
  c.push(...BLOCK, ...LOOP);
  c.push(GET, 8, GET, 2, GE_U, BR_IF, 1);
  c.push(GET, 0, GET, 8, ...I32(4), MUL_I, ADD_I, ...I32_LOAD(0), SET, 9);
  c.push(GET, 0, GET, 8, ...I32(4), MUL_I, ADD_I, ...I32_LOAD(4), SET, 10);
  c.push(GET, 4, GET, 8, GET, 7, MUL_I, ADD_I, SET, 12, ...I32(0), SET, 11);
  c.push(...BLOCK, ...LOOP);
  c.push(GET, 11, GET, 13, GE_U, BR_IF, 1);
  c.push(...ZERO, SET, 15, GET, 9, SET, 14);
  c.push(...BLOCK, ...LOOP);
  c.push(GET, 14, GET, 10, GE_U, BR_IF, 1);
  c.push(GET, 15, GET, 1, GET, 14, ...I32(4), MUL_I, ADD_I, ...I32_LOAD(0), GET, 11, ADD_I, ...LOAD, ...ADD, SET, 15);
  c.push(GET, 14, ...I32(1), ADD_I, SET, 14, BR, 0, END, END);
  c.push(GET, 5, ...I32(-1), NE, ...IF, GET, 15, GET, 5, GET, 11, ADD_I, ...LOAD, ...ADD, SET, 15, END);
  // relu as acc & (acc > 0): a NaN becomes 0, as `v > 0 ? v : 0` makes it.
  c.push(GET, 6, ...IF, GET, 15, GET, 15, ...ZERO, ...GT, ...AND, SET, 15, END);
  c.push(GET, 12, GET, 11, ADD_I, GET, 15, ...STORE);
  c.push(GET, 11, ...I32(16), ADD_I, SET, 11, BR, 0, END, END);
  // The last width mod 4 columns (c from the groups' end to the row's bytes), one float32 at a time: the same sums in
  // the same order as a lane of the vector loop, + bias, relu as (acc > 0 ? acc : 0).
  c.push(...BLOCK, ...LOOP, GET, 11, GET, 7, GE_U, BR_IF, 1);
  c.push(...F32_ZERO, SET, 16, GET, 9, SET, 14);
  c.push(...BLOCK, ...LOOP, GET, 14, GET, 10, GE_U, BR_IF, 1);
  c.push(GET, 16, GET, 1, GET, 14, ...I32(4), MUL_I, ADD_I, ...I32_LOAD(0), GET, 11, ADD_I, ...F32_LOAD, F32_ADD, SET, 16);
  c.push(GET, 14, ...I32(1), ADD_I, SET, 14, BR, 0, END, END);
  c.push(GET, 5, ...I32(-1), NE, ...IF, GET, 16, GET, 5, GET, 11, ADD_I, ...F32_LOAD, F32_ADD, SET, 16, END);
  c.push(GET, 6, ...IF, GET, 16, ...F32_ZERO, GET, 16, ...F32_ZERO, F32_GT, SELECT, SET, 16, END);
  c.push(GET, 12, GET, 11, ADD_I, GET, 16, ...F32_STORE);
  c.push(GET, 11, ...I32(4), ADD_I, SET, 11, BR, 0, END, END);
  c.push(GET, 8, ...I32(1), ADD_I, SET, 8, BR, 0, END, END, END);
  const locals = [3, 7, 0x7f, 1, 0x7b, 1, 0x7d];
  return [...leb(locals.length + c.length), ...locals, ...c];
}

function adamBody(): number[] {
  // Params 0-3 p g m v (i32 byte addresses), 4 groups, 5-11 the f32 constants; locals 12-18 their splats,
  // 19 the flush threshold, 20 G, 21 M, 22 V.
  const c: number[] = [];
  for (let i = 5; i <= 11; i++) c.push(GET, i, ...SPLAT, SET, i + 7);
  c.push(0x43, ...TINY_BYTES, ...SPLAT, SET, 19);
  c.push(0x02, 0x40, GET, 4, 0x45, 0x0d, 0); // block; if groups == 0 leave
  c.push(0x03, 0x40); // loop
  c.push(GET, 1, ...LOAD, SET, 20);
  c.push(GET, 12, GET, 2, ...LOAD, ...MUL, GET, 13, GET, 20, ...MUL, ...ADD, SET, 21);
  // Flushed where |m| < 2^-126 (a NaN compares false and stays NaN, so a diverging model still shows).
  c.push(GET, 21, GET, 21, ...ABS, GET, 19, ...LT, ...ANDNOT, SET, 21);
  c.push(GET, 14, GET, 3, ...LOAD, ...MUL, GET, 15, GET, 20, ...MUL, GET, 20, ...MUL, ...ADD, SET, 22);
  c.push(GET, 22, GET, 22, GET, 19, ...LT, ...ANDNOT, SET, 22);
  c.push(GET, 2, GET, 21, ...STORE);
  c.push(GET, 3, GET, 22, ...STORE);
  c.push(GET, 0, GET, 0, ...LOAD, GET, 16, GET, 21, ...MUL, GET, 22, ...SQRT, GET, 17, ...MUL, GET, 18, ...ADD, ...DIV, ...SUB, ...STORE);
  for (let i = 0; i <= 3; i++) c.push(GET, i, 0x41, 16, 0x6a, SET, i);
  c.push(GET, 4, 0x41, 1, 0x6b, TEE, 4, 0x0d, 0); // groups -= 1; continue while nonzero
  c.push(0x0b, 0x0b, 0x0b); // end loop, end block, end function
  const locals = [1, 11, 0x7b];
  return [...leb(locals.length + c.length), ...locals, ...c];
}

function mmBody(): number[] {
  // Params 0 a, 1 b, 2 m, 3 k, 4 groups, 5 out, 6 bias (−1: none), 7 relu, 8 row bytes of B and C; locals 9 i,
  // 10 c, 11 p, 12 the output row, 13 the row of B, 14 bytes of the groups, 15 the row of A; 16 av (f32); 17 avv, 18 acc (v128).
  const F32_NE = 0x5c;
  const c: number[] = [GET, 4, ...I32(16), MUL_I, SET, 14, GET, 0, SET, 15];
  c.push(...BLOCK, ...LOOP, GET, 9, GET, 2, GE_U, BR_IF, 1);
  c.push(GET, 5, GET, 9, GET, 8, MUL_I, ADD_I, SET, 12);
  // The row starts at 0.
  c.push(...I32(0), SET, 10, ...BLOCK, ...LOOP, GET, 10, GET, 14, GE_U, BR_IF, 1);
  c.push(GET, 12, GET, 10, ADD_I, ...ZERO, ...STORE, GET, 10, ...I32(16), ADD_I, SET, 10, BR, 0, END, END);
  // For each nonzero A[i, p]: row += A[i, p] · B[p, :].
  c.push(...I32(0), SET, 11, GET, 1, SET, 13, ...BLOCK, ...LOOP, GET, 11, GET, 3, GE_U, BR_IF, 1);
  c.push(GET, 15, GET, 11, ...I32(4), MUL_I, ADD_I, ...F32_LOAD, TEE, 16, 0x43, 0, 0, 0, 0, F32_NE, ...IF);
  c.push(GET, 16, ...SPLAT, SET, 17, ...I32(0), SET, 10, ...BLOCK, ...LOOP, GET, 10, GET, 14, GE_U, BR_IF, 1);
  c.push(GET, 12, GET, 10, ADD_I, GET, 12, GET, 10, ADD_I, ...LOAD, GET, 17, GET, 13, GET, 10, ADD_I, ...LOAD, ...MUL, ...ADD, ...STORE);
  c.push(GET, 10, ...I32(16), ADD_I, SET, 10, BR, 0, END, END);
  c.push(END); // if
  c.push(GET, 13, GET, 8, ADD_I, SET, 13, GET, 11, ...I32(1), ADD_I, SET, 11, BR, 0, END, END);
  // Bias, then relu as acc & (acc > 0).
  c.push(...I32(0), SET, 10, ...BLOCK, ...LOOP, GET, 10, GET, 14, GE_U, BR_IF, 1);
  c.push(GET, 12, GET, 10, ADD_I, ...LOAD, SET, 18);
  c.push(GET, 6, ...I32(-1), NE, ...IF, GET, 18, GET, 6, GET, 10, ADD_I, ...LOAD, ...ADD, SET, 18, END);
  c.push(GET, 7, ...IF, GET, 18, GET, 18, ...ZERO, ...GT, ...AND, SET, 18, END);
  c.push(GET, 12, GET, 10, ADD_I, GET, 18, ...STORE, GET, 10, ...I32(16), ADD_I, SET, 10, BR, 0, END, END);
  c.push(GET, 15, GET, 3, ...I32(4), MUL_I, ADD_I, SET, 15);
  c.push(GET, 9, ...I32(1), ADD_I, SET, 9, BR, 0, END, END, END);
  const locals = [3, 7, 0x7f, 1, 0x7d, 2, 0x7b];
  return [...leb(locals.length + c.length), ...locals, ...c];
}

/** The byte lanes that pick the low (LO_WORDS) or high (HI_WORDS) words of two i64x2 products as one i32x4. */
const LO_WORDS = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const HI_WORDS = LO_WORDS.map((b) => b + 4);

function philoxBody(): number[] {
  // Params 0 out, 1 quads, 2 first block counter, 3 step, 4 stream, 5 seed; locals 6 q, 7 k0, 8 k1, 9 rounds left,
  // v128 10-13 the four counter words of four blocks (lane = block), 14 L, 15 H (the i64 products), 16 lo0, 17 hi0,
  // 18 M0 and 19 M1 splatted. The 32×32→64 products are i64x2 extmuls, their halves regathered by shuffles.
  const XOR = simd(0x51), SPLAT_I = simd(0x11), ADD_I4 = simd(0xae), EXT_LO = simd(0xde), EXT_HI = simd(0xdf);
  const SHUF = (lanes: number[]) => [...simd(0x0d), ...lanes];
  const SUB_I = 0x6b;
  const c: number[] = [...I32(0xd2511f53 | 0), ...SPLAT_I, SET, 18, ...I32(0xcd9e8d57 | 0), ...SPLAT_I, SET, 19];
  c.push(...BLOCK, ...LOOP, GET, 6, GET, 1, GE_U, BR_IF, 1);
  c.push(GET, 2, GET, 6, ...I32(4), MUL_I, ADD_I, ...SPLAT_I, ...simd(0x0c), 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, ...ADD_I4, SET, 10);
  c.push(GET, 3, ...SPLAT_I, SET, 11, GET, 4, ...SPLAT_I, SET, 12, ...ZERO, SET, 13);
  c.push(GET, 5, SET, 7, ...I32(0), SET, 8, ...I32(10), SET, 9);
  c.push(...LOOP);
  c.push(GET, 10, GET, 18, ...EXT_LO, SET, 14, GET, 10, GET, 18, ...EXT_HI, SET, 15);
  c.push(GET, 14, GET, 15, ...SHUF(LO_WORDS), SET, 16, GET, 14, GET, 15, ...SHUF(HI_WORDS), SET, 17);
  c.push(GET, 12, GET, 19, ...EXT_LO, SET, 14, GET, 12, GET, 19, ...EXT_HI, SET, 15);
  // a0 = hi1 ^ a1 ^ k0; a1 = lo1; a2 = hi0 ^ a3 ^ k1; a3 = lo0.
  c.push(GET, 14, GET, 15, ...SHUF(HI_WORDS), GET, 11, ...XOR, GET, 7, ...SPLAT_I, ...XOR, SET, 10);
  c.push(GET, 14, GET, 15, ...SHUF(LO_WORDS), SET, 11);
  c.push(GET, 17, GET, 13, ...XOR, GET, 8, ...SPLAT_I, ...XOR, SET, 12);
  c.push(GET, 16, SET, 13);
  c.push(GET, 7, ...I32(0x9e3779b9 | 0), ADD_I, SET, 7, GET, 8, ...I32(0xbb67ae85 | 0), ADD_I, SET, 8);
  c.push(GET, 9, ...I32(1), SUB_I, 0x22, 9, BR_IF, 0, END);
  // Stored block by block (a 4×4 transpose: lanes of words → each block's four words), so word e is element e's.
  const lanes = (ids: number[]) => ids.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);
  const at = [GET, 0, GET, 6, ...I32(64), MUL_I, ADD_I];
  c.push(GET, 10, GET, 11, ...SHUF(lanes([0, 4, 1, 5])), SET, 14, GET, 12, GET, 13, ...SHUF(lanes([0, 4, 1, 5])), SET, 15);
  c.push(...at, GET, 14, GET, 15, ...SHUF(lanes([0, 1, 4, 5])), ...simd(0x0b), 2, 0);
  c.push(...at, GET, 14, GET, 15, ...SHUF(lanes([2, 3, 6, 7])), ...simd(0x0b), 2, 16);
  c.push(GET, 10, GET, 11, ...SHUF(lanes([2, 6, 3, 7])), SET, 14, GET, 12, GET, 13, ...SHUF(lanes([2, 6, 3, 7])), SET, 15);
  c.push(...at, GET, 14, GET, 15, ...SHUF(lanes([0, 1, 4, 5])), ...simd(0x0b), 2, 32);
  c.push(...at, GET, 14, GET, 15, ...SHUF(lanes([2, 3, 6, 7])), ...simd(0x0b), 2, 48);
  c.push(GET, 6, ...I32(1), ADD_I, SET, 6, BR, 0, END, END, END);
  const locals = [2, 4, 0x7f, 10, 0x7b];
  return [...leb(locals.length + c.length), ...locals, ...c];
}

function keepDivBody(): number[] {
  // Params 0 x, 1 out, 2 mask source, 3 groups, 4 threshold, 5 mode, 6 keep (f64); locals 7 byte, 8 bytes,
  // v128 9 x, 10 mask, 11 keep splatted, 12 threshold splatted. out = x / keep (in float64, rounded once to float32,
  // as JavaScript's Float32Array store does) where the mask holds, else +0. Mode 0: the mask source is Philox words,
  // held where word >>> 8 < threshold; mode 1: it is float32 y, held where y > 0 (relu's backward).
  const SPLAT_I = simd(0x11), SHR_U = simd(0xad), LT_S = simd(0x39), PROMOTE = simd(0x5f), DEMOTE = simd(0x5e), DIV2 = simd(0xf3);
  const SHUF = (lanes: number[]) => [...simd(0x0d), ...lanes];
  const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  const JOIN = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const c: number[] = [GET, 6, ...simd(0x14), SET, 11, GET, 4, ...SPLAT_I, SET, 12, GET, 3, ...I32(16), MUL_I, SET, 8];
  c.push(...BLOCK, ...LOOP, GET, 7, GET, 8, GE_U, BR_IF, 1);
  c.push(GET, 0, GET, 7, ADD_I, ...LOAD, SET, 9);
  c.push(GET, 5, ...IF, GET, 2, GET, 7, ADD_I, ...LOAD, ...ZERO, ...GT, SET, 10);
  c.push(0x05, GET, 2, GET, 7, ADD_I, ...LOAD, ...I32(8), ...SHR_U, GET, 12, ...LT_S, SET, 10, END);
  c.push(GET, 1, GET, 7, ADD_I);
  c.push(GET, 9, ...PROMOTE, GET, 11, ...DIV2, ...DEMOTE);
  c.push(GET, 9, GET, 9, ...SHUF(HIGH_HALF), ...PROMOTE, GET, 11, ...DIV2, ...DEMOTE);
  c.push(...SHUF(JOIN), GET, 10, ...AND, ...STORE);
  c.push(GET, 7, ...I32(16), ADD_I, SET, 7, BR, 0, END, END, END);
  const locals = [2, 2, 0x7f, 4, 0x7b];
  return [...leb(locals.length + c.length), ...locals, ...c];
}

function moduleBytes(maxPages: number): Uint8Array<ArrayBuffer> {
  const type = [5, 0x60, 12, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7d, 0x7d, 0x7d, 0x7d, 0x7d, 0x7d, 0x7d, 0, 0x60, 8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0,
    0x60, 9, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0, 0x60, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0, 0x60, 7, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7c, 0];
  const imp = [1, ...str('env'), ...str('mem'), 0x02, 0x03, ...leb(1), ...leb(maxPages)];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, type), ...section(2, imp), ...section(3, [5, 0, 1, 2, 3, 4]), ...section(7, [5, ...str('adam'), 0x00, 0, ...str('gather'), 0x00, 1, ...str('mm'), 0x00, 2, ...str('philox'), 0x00, 3, ...str('keepDiv'), 0x00, 4]),
    ...section(10, [5, ...adamBody(), ...gatherBody(), ...mmBody(), ...philoxBody(), ...keepDivBody()])];
  return new Uint8Array(bytes);
}

type MmFn = (a: number, b: number, m: number, k: number, groups: number, out: number, bias: number, relu: number, rowBytes: number) => void;
type KeepDivFn = (x: number, out: number, mask: number, groups: number, thr: number, mode: number, keep: number) => void;
type PhiloxFn = (out: number, quads: number, c0: number, step: number, stream: number, seed: number) => void;

/** Arenas in one shared WebAssembly memory, and the SIMD Adam step over them. */
export class WasmHeap {
  private top = 0;
  /** Free blocks [byte offset, bytes], by offset. */
  private free: [number, number][] = [];
  private readonly owned = new WeakMap<Float32Array, number>();
  /** Every buffer object the memory has had (growing makes a new one): an array on one of them lives here. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private ints: Int32Array = new Int32Array(0);

  private floats: Float32Array = new Float32Array(0);

  private constructor(readonly module: WebAssembly.Module, readonly memory: WebAssembly.Memory, readonly adamRaw: AdamFn, private readonly gatherRaw: GatherFn, private readonly mmRaw: MmFn, private readonly philoxRaw: PhiloxFn, private readonly keepDivRaw: KeepDivFn) {}

  static create(maxPages = 65536): WasmHeap | null {
    try {
      if (typeof SharedArrayBuffer !== 'function' || typeof WebAssembly !== 'object') return null;
      const bytes = moduleBytes(maxPages);
      if (!WebAssembly.validate(bytes)) return null;
      const memory = new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared: true });
      const module = new WebAssembly.Module(bytes);
      const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
      const x = instance.exports;
      return new WasmHeap(module, memory, x.adam as AdamFn, x.gather as GatherFn, x.mm as MmFn, x.philox as PhiloxFn, x.keepDiv as KeepDivFn);
    } catch {
      return null;
    }
  }

  /** A zeroed float32 array of n elements in the shared memory (16-byte aligned). */
  alloc(n: number): Float32Array {
    const bytes = Math.max(16, Math.ceil((4 * n) / 16) * 16);
    let at = -1;
    const k = this.free.findIndex(([, size]) => size >= bytes);
    if (k >= 0) {
      const [off, size] = this.free[k];
      at = off;
      if (size === bytes) this.free.splice(k, 1);
      else this.free[k] = [off + bytes, size - bytes];
    } else {
      at = this.top;
      this.top += bytes;
      const have = this.memory.buffer.byteLength;
      if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
    }
    const a = new Float32Array(this.memory.buffer, at, n);
    a.fill(0);
    this.owned.set(a, bytes);
    this.buffers.add(this.memory.buffer);
    return a;
  }

  /** An int32 scratch of ≥ n elements in the memory (offsets and row addresses for `gather`). */
  private intScratch(n: number): Int32Array {
    if (this.ints.length >= n) return this.ints;
    const f = this.alloc(Math.max(n, 2 * this.ints.length));
    return (this.ints = new Int32Array(f.buffer, f.byteOffset, f.length));
  }

  private words: Uint32Array = new Uint32Array(0);
  private wordsBlock: Float32Array | null = null;

  /**
   * The Philox words of elements [0, n) of one dropout mask (key (seed, 0), counters (e/4, step, stream, 0)) in SIMD,
   * four blocks per vector, into a scratch: word e is element e's (the counter of block e/4, word e mod 4).
   */
  philox(n: number, step: number, stream: number, seed: number): Uint32Array {
    const quads = Math.ceil(n / 16);
    if (this.words.length < 16 * quads) {
      if (this.wordsBlock) this.release(this.wordsBlock);
      const f = (this.wordsBlock = this.alloc(Math.max(16 * quads, 2 * this.words.length)));
      this.words = new Uint32Array(f.buffer, f.byteOffset, f.length);
    }
    this.philoxRaw(this.words.byteOffset, quads, 0, step | 0, stream | 0, seed | 0);
    return this.words;
  }

  /**
   * out[i] = x[i] / keep (float64 division, rounded once) where the mask holds, else 0, for i < 4·groups of arrays in
   * this memory: mode 0 masks by Philox words (held where word >>> 8 < thr), mode 1 by y[i] > 0.
   */
  keepDiv(x: Float32Array, xOff: number, out: Float32Array, outOff: number, mask: Uint32Array | Float32Array, maskOff: number, groups: number, keep: number, thr: number, mode: 0 | 1): void {
    this.keepDivRaw(x.byteOffset + 4 * xOff, out.byteOffset + 4 * outOff, mask.byteOffset + 4 * maskOff, groups, thr, mode, keep);
  }

  /** A float32 scratch of ≥ n elements in the memory (a transposed operand for `matmul`). */
  floatScratch(n: number): Float32Array {
    if (this.floats.length < n) {
      if (this.floats.length) this.release(this.floats);
      this.floats = this.alloc(Math.max(n, 2 * this.floats.length));
    }
    return this.floats;
  }

  /**
   * out[outOff + i·n + c] = relu?(Σ_p a[aOff + i·k + p]·b[bOff + p·n + c] + bias[biasOff + c]) for i < m, float32 sums
   * over p ascending with zeros of a skipped, four columns at a time: n must be a multiple of 4, the arrays `contains`ed.
   */
  matmul(a: Float32Array, aOff: number, b: Float32Array, bOff: number, m: number, k: number, n: number, bias: Float32Array | null, biasOff: number, relu: boolean, out: Float32Array, outOff: number): void {
    this.mmRaw(a.byteOffset + 4 * aOff, b.byteOffset + 4 * bOff, m, k, n >> 2, out.byteOffset + 4 * outOff, bias ? bias.byteOffset + 4 * biasOff : -1, relu ? 1 : 0, 4 * n);
  }

  /** Whether `a` (an array from `alloc` or a view of one) lives in this memory. */
  contains(a: Float32Array): boolean {
    return this.buffers.has(a.buffer);
  }

  /**
   * out[outOff + i·n + c] = relu?(Σ_{t ∈ [offsets[i], offsets[i+1])} src[srcOff + idx[t]·n + c] + bias[biasOff + c]) for
   * rows i < rows, in float32 and in that order: four columns at a time in SIMD, the last n mod 4 one at a time (float32
   * adds in the same order). The arrays must be `contains`ed.
   */
  gather(offsets: Uint32Array, idx: Uint32Array, rows: number, src: Float32Array, srcOff: number, n: number, bias: Float32Array | null, biasOff: number, relu: boolean, out: Float32Array, outOff: number, threads: HeapThreads | null = null): void {
    const nnz = offsets[rows] - offsets[0];
    const ints = this.intScratch(rows + 1 + nnz);
    const base = offsets[0];
    for (let i = 0; i <= rows; i++) ints[i] = offsets[i] - base + rows + 1;
    const srcAt = src.byteOffset + 4 * srcOff, rowBytes = 4 * n;
    for (let t = 0; t < nnz; t++) ints[rows + 1 + t] = srcAt + idx[base + t] * rowBytes;
    // Offsets index the same scratch (the row addresses follow them): pass the scratch as both, offsets relative to it.
    const outAt = out.byteOffset + 4 * outOff, biasAt = bias ? bias.byteOffset + 4 * biasOff : -1;
    if (threads) threads.gather(ints.byteOffset, rows, n >> 2, outAt, biasAt, relu ? 1 : 0, rowBytes, this.gatherRaw);
    else this.gatherRaw(ints.byteOffset, ints.byteOffset, rows, n >> 2, outAt, biasAt, relu ? 1 : 0, rowBytes);
  }

  /** Returns an array from `alloc` to the free list (merged with free neighbours). */
  release(a: Float32Array): void {
    const bytes = this.owned.get(a);
    if (bytes === undefined) return;
    this.owned.delete(a);
    this.free.push([a.byteOffset, bytes]);
    this.free.sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const b of this.free) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === b[0]) last[1] += b[1];
      else merged.push([b[0], b[1]]);
    }
    const end = merged[merged.length - 1];
    if (end && end[0] + end[1] === this.top) {
      this.top = end[0];
      merged.pop();
    }
    this.free = merged;
  }

  owns(a: Float32Array): boolean {
    return this.owned.has(a);
  }

  /** Adam over elements [lo, hi) of four arrays of this heap: SIMD for whole groups of four, the caller does the rest. Returns the first element not done. */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lo: number, hi: number, b1: number, b2: number, eps: number, step: number, inv: number, threads: HeapThreads | null = null): number {
    const groups = (hi - lo) >> 2;
    if (groups > 0 && threads) threads.adam(p.byteOffset + 4 * lo, g.byteOffset + 4 * lo, m.byteOffset + 4 * lo, v.byteOffset + 4 * lo, groups, b1, 1 - b1, b2, 1 - b2, step, inv, eps, this.adamRaw);
    else if (groups > 0) this.adamRaw(p.byteOffset + 4 * lo, g.byteOffset + 4 * lo, m.byteOffset + 4 * lo, v.byteOffset + 4 * lo, groups, b1, 1 - b1, b2, 1 - b2, step, inv, eps);
    return lo + 4 * groups;
  }
}

let heap: WasmHeap | null | undefined;

/** The process's heap, made on first use; null where shared WebAssembly memory or SIMD is unavailable. */
export function wasmHeap(): WasmHeap | null {
  if (heap === undefined) heap = WasmHeap.create();
  return heap;
}
