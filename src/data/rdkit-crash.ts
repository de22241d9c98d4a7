/**
 * When RDKit's wasm has failed, and what happens to the module then. Three ways, all seen on large molecules:
 * a trap (a `WebAssembly.RuntimeError` such as "memory access out of bounds" when a 1,000-atom chain overflows
 * RDKit's stack below address 0); a C++ exception escaping to JavaScript (its frames never restore the wasm stack
 * pointer); and, worst, a silent stack overflow: RDKit's stack lies above its static data, so ~600 atoms of rings
 * overflow into that data without any error, and every later molecule fails to parse or parses wrongly. The last is
 * caught the way Emscripten's own checkStackCookie does: the two words it writes at the stack's end (and the word at
 * address 0) are read after each molecule, and a changed one means the stack ran over. A failed module is marked
 * crashed and never used again: the row that did it fails with the reason, and the loaders (rdkit-node.ts,
 * src/browser/rdkit-browser.ts) hand out a fresh instance instead. Pure (no Node imports).
 */
import type { MainModule as RDKitModule } from '@rdkit/rdkit';

const crashed = new WeakSet<object>();
const stackChecks = new WeakMap<object, () => boolean>();

/** RDKit failed while computing row `row` (0-based in the job's input); `partial` holds rows 0..row, row failed. */
export class RDKitCrashError extends Error {
  override name = 'RDKitCrashError';
  constructor(
    readonly row: number,
    readonly reason: string,
    readonly partial: unknown = null,
  ) {
    super(`RDKit crashed on row ${row} (${reason}); this RDKit instance is unusable — load a fresh one (loadRDKit() does) or run the job with runMoleculeJobSafely`);
  }
}

/** A C++ exception thrown through wasm exception handling (WebAssembly.Exception, not in TypeScript's lib yet). */
const WasmException = (WebAssembly as unknown as { Exception?: abstract new (...args: never[]) => object }).Exception;
const isCppException = (e: unknown) => WasmException !== undefined && e instanceof WasmException;

/** An error from inside the wasm, after which the instance cannot be trusted. */
export function isWasmFailure(e: unknown): boolean {
  return e instanceof WebAssembly.RuntimeError || isCppException(e) || (e instanceof RangeError && /call stack/i.test(e.message));
}

export function markCrashed(rdkit: RDKitModule): void {
  crashed.add(rdkit);
}

export function hasCrashed(rdkit: RDKitModule): boolean {
  return crashed.has(rdkit);
}

/** The row's reason when RDKit failed on it. */
export function crashReason(e: unknown): string {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : isCppException(e) ? 'a C++ exception escaped' : String(e);
  return `RDKit crashed on this molecule (${what.slice(0, 120)}); a fresh RDKit instance took over for the next rows`;
}

export const STACK_OVERFLOW_REASON = 'RDKit overflowed its stack on this molecule, overwriting its own memory; a fresh RDKit instance took over for the next rows';

/** Emscripten's stack cookie (writeStackCookie) and the word it keeps at address 0. */
const COOKIE = [0x02135467, 0x89bacdfe] as const;
const NULL_WORD = 0x63736d65;

/**
 * Watches `rdkit`'s stack cookie, found in its `instance`'s memory once Emscripten's start-up has written it. Without
 * a cookie (another build) nothing is watched, and traps and exceptions remain the only signs of a crash.
 */
export function watchStack(rdkit: RDKitModule, instance: WebAssembly.Instance): void {
  const memory = Object.values(instance.exports).find((e): e is WebAssembly.Memory => e instanceof WebAssembly.Memory);
  if (!memory) return;
  const words = new Uint32Array(memory.buffer);
  let at = -1;
  for (let i = 1; i + 1 < words.length; i++) {
    if (words[i] === COOKIE[0] && words[i + 1] === COOKIE[1]) {
      at = i;
      break;
    }
  }
  if (at < 0 || words[0] !== NULL_WORD) return;
  stackChecks.set(rdkit, () => {
    const now = new Uint32Array(memory.buffer, 0, at + 2); // the buffer is replaced when memory grows
    return now[at] === COOKIE[0] && now[at + 1] === COOKIE[1] && now[0] === NULL_WORD;
  });
}

/** True (and `rdkit` marked crashed) when its stack has run over since it started. */
export function stackOverflowed(rdkit: RDKitModule): boolean {
  const intact = stackChecks.get(rdkit);
  if (!intact || intact()) return false;
  markCrashed(rdkit);
  return true;
}
