// A second backward() through the same recorded ops added the same gradients to the parameters again, silently
// (issue 23, minor). Two losses from two forward passes still accumulate, as PyTorch's do (autograd-grad-targets
// tests that on purpose); only going back through one tape twice is refused, unless the first kept the tape.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import * as op from '../src/autograd/ops.ts';
import { Tensor } from '../src/autograd/tensor.ts';

const be = new CpuBackend('f64');
const grad = async (t: Tensor) => Array.from(await t.grad!.data());

describe('backward() twice', () => {
  it('refuses a second backward through the same tape, leaving the gradient as the first left it', async () => {
    const x = Tensor.from(be, [1, 2, 3], [3], true);
    const loss = op.sum(op.mul(x, x));
    loss.backward();
    expect(() => loss.backward()).toThrow(/^backward: this tensor was already backpropagated through; a second backward\(\) would add the same gradients/);
    expect(await grad(x)).toEqual([2, 4, 6]);
  });

  it('names the op when another loss reaches a spent part of the tape', () => {
    const x = Tensor.from(be, [1, 2], [2], true);
    const h = op.mul(x, x);
    op.sum(h).backward();
    expect(() => op.sum(op.add(h, x)).backward()).toThrow(/backward: mul \[2\] on its tape was already backpropagated through/);
  });

  it('accumulates over two forward passes, and over one tape kept with { keepTape: true }', async () => {
    const x = Tensor.from(be, [1, 2], [2], true);
    op.sum(op.mul(x, x)).backward();
    op.sum(op.mul(x, x)).backward();
    expect(await grad(x)).toEqual([4, 8]);
    const y = Tensor.from(be, [1, 2], [2], true);
    const loss = op.sum(op.mul(y, y));
    loss.backward(undefined, { keepTape: true });
    loss.backward();
    expect(await grad(y)).toEqual([4, 8]);
    expect(() => loss.backward()).toThrow(/already backpropagated through/);
  });
});
