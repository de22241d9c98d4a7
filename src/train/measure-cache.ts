/**
 * Where step timings are kept once measured, so a command times a network shape on a machine once, like the matmul
 * tuning: `<cache folder>/backend/<key>.json`, the key naming the adapter, the network shape and this machine's CPUs
 * (the CPU backend's speed is theirs). A file that cannot be used is named with its problem and ignored: a stale
 * cache must never stop training. Node-only parts load node: modules dynamically, so browser bundles include it
 * (without a cache there: every measurement is taken afresh).
 */
/** Bump when what a timing means changes (a faster CPU path makes old timings wrong). */
export const MEASURE_VERSION = 2;

type Note = ((line: string) => void) | undefined;

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

async function fileOf(dir: string | null | undefined, key: string): Promise<string | null> {
  if (dir === null || !isNode()) return null;
  const { join } = await import('node:path');
  const { cpus } = await import('node:os');
  const { cacheFolder } = await import('../cache-folder.ts');
  const c = cpus();
  const machine = `${c.length}cpu-${c[0]?.model ?? 'unknown'}`;
  const name = `${key}-${machine}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '_').slice(0, 200);
  return join(dir ?? join(cacheFolder(), 'backend'), `${name}.json`);
}

/** The timings stored under `key` (every field a positive number), or null: none, unreadable (noted), or stale. */
export async function readMeasurement<F extends string>(dir: string | null | undefined, key: string, fields: readonly F[], onNote: Note): Promise<Record<F, number> | null> {
  const path = await fileOf(dir, key);
  if (!path) return null;
  const { existsSync, readFileSync } = await import('node:fs');
  if (!existsSync(path)) return null;
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown; key?: unknown; msPerStep?: Record<string, unknown> };
    if (j.version !== MEASURE_VERSION) throw new Error(`version ${String(j.version)}, this shadergrad writes version ${MEASURE_VERSION}`);
    if (j.key !== key) throw new Error(`made for "${String(j.key)}", not "${key}"`);
    const out = {} as Record<F, number>;
    for (const f of fields) {
      const v = j.msPerStep?.[f];
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new Error(`msPerStep.${f} is ${JSON.stringify(v)}, not a positive number`);
      out[f] = v;
    }
    return out;
  } catch (e) {
    onNote?.(`ignoring the step-timing cache ${path}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : (e as Error).message}; timing again`);
    return null;
  }
}

/** Stores timings under `key` (atomically: a reader sees the old file or the new one). */
export async function writeMeasurement(dir: string | null | undefined, key: string, msPerStep: Record<string, number>, onNote: Note): Promise<void> {
  const path = await fileOf(dir, key);
  if (!path) return;
  const { mkdirSync, renameSync, writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: MEASURE_VERSION, key, created: new Date().toISOString(), msPerStep }, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    onNote?.(`could not keep the step timings in ${path}: ${(e as Error).message}`);
  }
}
