/**
 * A parameter that requires a gradient but has none after `backward()` is a model that silently does not train:
 * the optimizer used to skip it without a word. These helpers find such parameters and word the problem, so an
 * optimizer can refuse the step (`'error'`) or say so once (`'warn'`). Pure: no Node imports, no backend calls.
 */
import type { Tensor } from '../autograd/tensor.ts';

export type MissingGradPolicy = 'error' | 'warn' | 'ignore';

/** The parameters that require a gradient, are alive, and have none (`grad === null`). */
export function missingGradients(params: readonly Tensor[]): Tensor[] {
  return params.filter((p) => p.requiresGrad && !p.disposed && p.grad === null);
}

/** "parameter 2 "W1" [1024, 50]": its position in the optimizer's list, its name if any, its shape. */
export function describeParameter(p: Tensor, params: readonly Tensor[]): string {
  const i = params.indexOf(p);
  return `parameter ${i >= 0 ? i : '?'}${p.name ? ` "${p.name}"` : ''} [${p.shape.join(', ')}]`;
}

export function missingGradientMessage(missing: readonly Tensor[], params: readonly Tensor[]): string {
  const shown = missing.slice(0, 5).map((p) => describeParameter(p, params));
  const more = missing.length > shown.length ? ` and ${missing.length - shown.length} more` : '';
  return (
    `optimizer step: ${missing.length} of ${params.length} parameters received no gradient (${shown.join(', ')}${more}), ` +
    'so this step would not update them: call backward() on a loss that depends on them after zeroGrad() and before step(), ' +
    'or leave them out of the optimizer'
  );
}

export class MissingGradientError extends Error {
  override name = 'MissingGradientError';
  constructor(readonly parameters: readonly Tensor[], params: readonly Tensor[]) {
    super(missingGradientMessage(parameters, params));
  }
}

/**
 * A check for an optimizer to call at the start of each `step()`: under `'error'` it throws MissingGradientError
 * whenever a parameter lacks a gradient; under `'warn'` it calls `warn` the first time only (a training loop must
 * not flood the terminal); under `'ignore'` it does nothing.
 */
export function missingGradientGuard(policy: MissingGradPolicy = 'error', warn: (message: string) => void = (m) => console.warn(m)): (params: readonly Tensor[]) => void {
  let warned = false;
  return (params) => {
    if (policy === 'ignore' || (policy === 'warn' && warned)) return;
    const missing = missingGradients(params);
    if (missing.length === 0) return;
    if (policy === 'error') throw new MissingGradientError(missing, params);
    warned = true;
    warn(missingGradientMessage(missing, params));
  };
}
