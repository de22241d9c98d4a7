/**
 * Memory scopes and the no-grad switch. GPU buffers are not garbage-collected, so every tensor made inside
 * `tidy(fn)` is released when fn returns, except what fn returns or `keep`s — the pattern tfjs uses, which keeps a
 * training loop's memory flat. Scopes are synchronous on purpose: a step records GPU work and never awaits.
 */
export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

const scopes: Set<Disposable>[] = [];
let noGradDepth = 0;

export function track<T extends Disposable>(t: T): T {
  scopes[scopes.length - 1]?.add(t);
  return t;
}

/** Removes `t` from every open scope, so it outlives them (parameters, gradients, optimizer state). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy(fn): fn must be synchronous (it returned a Promise); await reads outside the scope');
  } finally {
    scopes.pop();
    const survivors = new Set<unknown>(collect(result!));
    for (const t of scope) {
      if (survivors.has(t)) scopes[scopes.length - 1]?.add(t);
      else if (!t.disposed) t.dispose();
    }
  }
  return result;
}

function collect(v: unknown): unknown[] {
  if (v && typeof v === 'object') {
    if ('dispose' in v) return [v];
    if (Array.isArray(v)) return v.flatMap(collect);
    return Object.values(v).flatMap(collect);
  }
  return [];
}

export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

export function gradEnabled(): boolean {
  return noGradDepth === 0;
}
