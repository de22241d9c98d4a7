// A parameter that requires a gradient but got none from backward() would be skipped by the optimizer without a
// word; these helpers find it and word it, once as a warning or every time as an error (issue 16, point 2).
import { describe, expect, it } from 'vitest';
import { mul, sum } from '../src/autograd/ops.ts';
import { keep, tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { MissingGradientError, missingGradientGuard, missingGradients } from '../src/optim/missing-grad.ts';

const be = new CpuBackend('f32');

function setup() {
  const used = keep(Tensor.from(be, [1, 2], [2], true));
  used.name = 'W';
  const unused = keep(Tensor.from(be, [3], [1], true));
  const x = keep(Tensor.from(be, [5, 7], [2]));
  tidy(() => sum(mul(used, x)).backward());
  return { used, unused, params: [used, unused] };
}

describe('missing gradients', () => {
  it('finds the parameters that require a gradient and have none', () => {
    const { unused, params } = setup();
    expect(missingGradients(params)).toEqual([unused]);
  });

  it("'error' throws naming each parameter by position, name and shape", () => {
    const { unused, params } = setup();
    const check = missingGradientGuard('error');
    let err: unknown;
    try {
      check(params);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingGradientError);
    expect((err as MissingGradientError).parameters).toEqual([unused]);
    expect((err as Error).message).toBe(
      'optimizer step: 1 of 2 parameters received no gradient (parameter 1 [1]), so this step would not update them: ' +
        'call backward() on a loss that depends on them after zeroGrad() and before step(), or leave them out of the optimizer',
    );
  });

  it("'warn' says it once, 'ignore' never; nothing is said when every parameter has a gradient", () => {
    const { used, params } = setup();
    const said: string[] = [];
    const warn = missingGradientGuard('warn', (m) => said.push(m));
    warn(params);
    warn(params);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('1 of 2 parameters received no gradient');
    const quiet: string[] = [];
    missingGradientGuard('ignore', (m) => quiet.push(m))(params);
    expect(quiet).toEqual([]);
    expect(() => missingGradientGuard('error')([used])).not.toThrow();
  });

  it('names at most five and counts the rest', () => {
    const ps = Array.from({ length: 7 }, (_, i) => {
      const p = keep(Tensor.from(be, [0], [1], true));
      p.name = `p${i}`;
      return p;
    });
    expect(() => missingGradientGuard('error')(ps)).toThrow(/7 of 7 parameters received no gradient \(parameter 0 "p0" \[1\], .*parameter 4 "p4" \[1\] and 2 more\)/);
  });
});
