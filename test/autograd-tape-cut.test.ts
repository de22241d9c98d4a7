// A tape cut by tidy() or dispose() must make backward() fail with the op and the fix named, instead of leaving the
// parameters behind the cut without a gradient (issue 16, point 2); and shapes must be whole numbers (point 6).
import { describe, expect, it } from 'vitest';
import { mul, relu, sum } from '../src/autograd/ops.ts';
import { keep, tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';

const be = new CpuBackend('f32');
const param = () => keep(Tensor.from(be, [1, 2, 3], [3], true));
const input = () => keep(Tensor.from(be, [4, 5, 6], [3]));

describe('backward through a cut tape', () => {
  it('a loss returned from tidy() whose tape tidy disposed: backward() names the op and the fix', () => {
    const w = param();
    const x = input();
    const loss = tidy(() => sum(mul(w, x)));
    expect(() => loss.backward()).toThrow(
      /^backward: the tape was cut — sum's input 0 \[3\] \(the output of mul\) was disposed \(by tidy\(\) or dispose\(\)\) before backward\(\).*call backward\(\) inside the tidy.*keep\(\)/,
    );
    expect(w.grad).toBeNull();
  });

  it('an intermediate disposed by hand', () => {
    const w = param();
    const h = relu(mul(w, input()));
    const loss = sum(h);
    h.dispose();
    expect(() => loss.backward()).toThrow("backward: the tape was cut — sum's input 0 [3] (the output of relu) was disposed");
  });

  it('a disposed parameter is named as cut too', () => {
    const w = Tensor.from(be, [1, 2, 3], [3], true);
    w.name = 'W1';
    const loss = sum(mul(w, input()));
    w.dispose();
    expect(() => loss.backward()).toThrow(`mul's input 0 [3] "W1" was disposed`);
  });

  it('an explicit op name given to record() is used', () => {
    const w = param();
    const y = new Tensor(be, be.upload([1, 2, 3]), [3]).record([w], (g) => [g], 'myOp');
    expect(y.op).toBe('myOp');
  });

  it('backward() inside the tidy reaches the parameter; keeping only the loss does not keep its tape', async () => {
    const w = param();
    const x = input();
    tidy(() => sum(mul(w, x)).backward());
    expect(Array.from(await w.grad!.data())).toEqual([4, 5, 6]);
    w.grad!.dispose();
    w.grad = null;
    let loss: Tensor | null = null;
    tidy(() => {
      loss = keep(sum(mul(w, x)));
    });
    // tidy still disposed mul's output, which the loss's backward needs.
    expect(() => loss!.backward()).toThrow(/tape was cut/);
  });
});

describe('tensor shapes', () => {
  it('Tensor.from, zeros and the constructor reject negative, fractional and NaN dimensions, naming the shape', () => {
    expect(() => Tensor.from(be, [], [-1])).toThrow('Tensor.from: shape [-1] has dimension 0 = -1; dimensions must be integers ≥ 0');
    expect(() => Tensor.from(be, [1, 2], [2, 0.5, 2])).toThrow('Tensor.from: shape [2, 0.5, 2] has dimension 1 = 0.5');
    expect(() => Tensor.from(be, [1, 2], [-2, -1])).toThrow('shape [-2, -1]');
    expect(() => Tensor.zeros(be, [NaN])).toThrow('Tensor.zeros: shape [NaN] has dimension 0 = NaN');
    expect(() => new Tensor(be, be.upload([1, 2]), [2.5])).toThrow('Tensor: shape [2.5] has dimension 0 = 2.5');
    expect(Tensor.from(be, [], [0, 3]).size).toBe(0);
  });
});
