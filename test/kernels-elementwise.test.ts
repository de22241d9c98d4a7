// shaders/unary.wgsl and shaders/binary.wgsl against their CPU twins: every function and derivative, broadcasting
// along each axis, and an elementwise dispatch past 65,535 workgroups.
import { describe, expect, it } from 'vitest';
import type { BinaryOp, Shape3, UnaryOp } from '../src/backend/backend.ts';
import { cpu, gpu, rand, twin } from './helpers/backends.ts';

const TOL = { atol: 1e-6, rtol: 2e-6 };
// Inputs suited to each function's domain (log, sqrt need x > 0) and range (exp must not overflow).
const domain: Record<UnaryOp, [number, number]> = {
  relu: [-3, 3], sigmoid: [-30, 30], tanh: [-5, 5], exp: [-20, 20], log: [1e-3, 50], neg: [-3, 3], abs: [-3, 3],
  square: [-30, 30], sqrt: [1e-3, 50], scale: [-3, 3],
};
const ops = Object.keys(domain) as UnaryOp[];

describe('unary', () => {
  it.each(ops)('%s forward on 1, 7 and 1031 elements', async (op) => {
    for (const n of [1, 7, 1031]) {
      await twin(`${op} n=${n}`, [rand(n, n, ...domain[op])], (be, [x]) => be.unary(op, x, 0.37), { atol: 1e-6, rtol: 1e-5 });
    }
  });

  it.each(ops)('%s backward on 523 elements', async (op) => {
    await twin(`${op}' n=523`, [rand(523, 5, ...domain[op]), rand(523, 6)], (be, [x, dy]) => {
      const y = be.unary(op, x, 0.37);
      const dx = be.unaryBackward(op, x, y, dy, 0.37);
      be.release(y);
      return dx;
    }, { atol: 1e-6, rtol: 1e-4 });
  });

  it('sigmoid saturates without NaN for |x| up to 1e4', async () => {
    const out = await twin('sigmoid extremes', [Float32Array.of(-1e4, -100, 0, 100, 1e4)], (be, [x]) => be.unary('sigmoid', x), TOL);
    expect(Array.from(out)).toEqual([0, expect.closeTo(0, 30), 0.5, 1, 1]);
  });

  it('relu over 4,194,321 elements: more than 65,535 workgroups of 64', async () => {
    const n = 65536 * 64 + 17;
    const out = await twin('relu large', [rand(n, 9)], (be, [x]) => be.unary('relu', x), TOL);
    expect(out.length).toBe(n);
  });
});

const bops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'greaterEqual'];
const pairs: [Shape3, Shape3][] = [
  [[1, 1, 1], [1, 1, 1]],
  [[1, 7, 13], [1, 7, 13]],
  [[1, 7, 13], [1, 1, 13]], // bias row
  [[1, 7, 13], [1, 7, 1]], // per-row column
  [[1, 7, 13], [1, 1, 1]], // scalar
  [[1, 1, 13], [1, 29, 1]], // outer product shape
  [[3, 5, 7], [1, 5, 7]], // one tensor shared by a batch of models
  [[3, 5, 7], [3, 1, 7]],
];

describe('binary', () => {
  it.each(bops)('%s with broadcasting along every axis', async (op) => {
    for (const [as, bs] of pairs) {
      const a = rand(as[0] * as[1] * as[2], 11, -2, 2);
      // Keep divisors away from 0.
      const b = rand(bs[0] * bs[1] * bs[2], 12, 0.5, 2).map((v, i) => (i % 2 ? -v : v));
      await twin(`${op} [${as}] [${bs}]`, [a, b], (be, [x, y]) => be.binary(op, x, as, y, bs), TOL);
    }
  });

  it('incompatible shapes name the op, both shapes and the axis', async () => {
    const g = await gpu();
    const a = g.upload(rand(6, 1)), b = g.upload(rand(4, 2));
    expect(() => g.binary('add', a, [1, 2, 3], b, [1, 2, 2])).toThrow('add: shapes [1, 2, 3] and [1, 2, 2] cannot broadcast (axis 2: 3 vs 2)');
    expect(() => cpu.binary('mul', cpu.upload([1, 2]), [1, 1, 3], cpu.upload([1]), [1, 1, 1])).toThrow(/mul: a \[1, 1, 3\] has 2 elements, expected 3/);
    expect(() => g.binary('add', a, [1, 2, Infinity], b, [1, 2, 2])).toThrow(/add: shape\[2\] must be an integer ≥ 1, got Infinity/);
    g.release(a);
    g.release(b);
  });
});
