/** CPU twins of shaders/unary.wgsl and shaders/binary.wgsl: the functions, their derivatives, broadcasting. */
import type { Activation, BinaryOp, Shape3, UnaryOp } from '../backend.ts';
import type { Floats } from './storage.ts';

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function unaryFn(op: UnaryOp, x: number, alpha: number): number {
  switch (op) {
    case 'relu': return x > 0 ? x : 0;
    case 'sigmoid': return sigmoid(x);
    case 'tanh': return Math.tanh(x);
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'neg': return -x;
    case 'abs': return Math.abs(x);
    case 'square': return x * x;
    case 'sqrt': return Math.sqrt(x);
    case 'scale': return alpha * x;
  }
}

/** f'(x), given y = f(x). */
export function unaryDeriv(op: UnaryOp, x: number, y: number, alpha: number): number {
  switch (op) {
    case 'relu': return x > 0 ? 1 : 0;
    case 'sigmoid': return y * (1 - y);
    case 'tanh': return 1 - y * y;
    case 'exp': return y;
    case 'log': return 1 / x;
    case 'neg': return -1;
    case 'abs': return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'square': return 2 * x;
    case 'sqrt': return 0.5 / y;
    case 'scale': return alpha;
  }
}

export function applyActivation(act: Activation, v: number): number {
  return act === 'none' ? v : unaryFn(act, v, 1);
}

export function binaryFn(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'maximum': return a >= b ? a : b;
    case 'greaterEqual': return a >= b ? 1 : 0;
  }
}

export function binaryCpu(op: BinaryOp, a: Floats, as: Shape3, b: Floats, bs: Shape3, os: Shape3, out: Floats): void {
  const [B, R, C] = os;
  const aS = [as[0] === 1 ? 0 : as[1] * as[2], as[1] === 1 ? 0 : as[2], as[2] === 1 ? 0 : 1];
  const bS = [bs[0] === 1 ? 0 : bs[1] * bs[2], bs[1] === 1 ? 0 : bs[2], bs[2] === 1 ? 0 : 1];
  let o = 0;
  for (let i = 0; i < B; i++)
    for (let r = 0; r < R; r++)
      for (let c = 0; c < C; c++) out[o++] = binaryFn(op, a[i * aS[0] + r * aS[1] + c * aS[2]], b[i * bS[0] + r * bS[1] + c * bS[2]]);
}
