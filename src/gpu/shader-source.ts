/**
 * Where WGSL text comes from. In Node the files in `shaders/` are read from disk once per process; a browser bundle
 * registers them as strings instead (the build embeds them). Tests may register a broken shader under a new name
 * to check that compile errors name the file. WGSL has no include, so a line `//#import NAME` is replaced by the
 * registered source NAME (once per shader): the matmul variants share their uniforms and epilogue that way.
 * Compile errors then count lines in the expanded text; the error prints the offending line itself.
 */
const sources = new Map<string, string>();

export const SHADER_FILES = [
  'matmul', 'matmul-blocked', 'matmul-subgroup', 'matmul-large', 'bit-matmul', 'unary', 'binary', 'reduce', 'xent', 'dropout', 'optim',
  'dropout-models', 'optim-models',
  // Imported by the others, never compiled alone.
  'matmul-params', 'activation', 'register-block', 'philox',
] as const;
export type ShaderName = (typeof SHADER_FILES)[number];

export function registerShader(name: string, source: string): void {
  sources.set(name, source);
}

function rawSource(name: string, by?: string): string {
  const s = sources.get(name);
  if (s === undefined) {
    throw new Error(`shader ${name}.wgsl${by ? ` (imported by ${by}.wgsl)` : ''} is not loaded (known: ${[...sources.keys()].join(', ') || 'none'}); call loadShaders() first`);
  }
  return s;
}

/** The shader's text with its `//#import NAME` lines expanded (each module once, nested imports too). */
export function shaderSource(name: string): string {
  const seen = new Set<string>([name]);
  const expand = (text: string, owner: string): string =>
    text.replace(/^\/\/#import ([\w-]+)[ \t]*$/gm, (_line, dep: string) => {
      if (seen.has(dep)) return `// (${dep}.wgsl already imported)`;
      seen.add(dep);
      return expand(rawSource(dep, owner), dep);
    });
  return expand(rawSource(name), name);
}

/** Reads shaders/*.wgsl in Node. The folder: SHADERGRAD_SHADER_DIR, else the nearest `shaders/` above this module. */
export async function loadShadersFromDisk(): Promise<void> {
  if (SHADER_FILES.every((f) => sources.has(f))) return;
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  let dir = process.env.SHADERGRAD_SHADER_DIR;
  if (!dir) {
    // Walk up: the module may be src/gpu/ in a checkout or a bundle one level under the root.
    let here = path.dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 5 && !dir; i++) {
      const cand = path.join(here, 'shaders');
      if (fs.existsSync(path.join(cand, 'matmul.wgsl'))) dir = cand;
      here = path.dirname(here);
    }
  }
  if (!dir) throw new Error('cannot find the shaders/ folder with matmul.wgsl; set SHADERGRAD_SHADER_DIR to it');
  for (const f of SHADER_FILES) {
    const file = path.join(dir, `${f}.wgsl`);
    if (!fs.existsSync(file)) throw new Error(`shader file ${file} is missing`);
    sources.set(f, fs.readFileSync(file, 'utf8'));
  }
}
