// The shape of src/'s import graph, read from the source: no import circles; no library module importing the CLI
// (src/cli/), the benchmark rows (src/perf/), the page (web/), the repository's bench/ scripts or the tests; and the
// generic search (src/hpo/) importing nothing outside itself but the neutral leaves src/random/, src/stats/ and
// src/cache-folder.ts. A port of ../shared/tools/imports.py, so CI keeps what that tool only reports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

/** Relative imports of a TypeScript file: static `import … from`, `export … from`, side-effect and dynamic `import()`. */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const rx = /(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  return [...code.matchAll(rx)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(m?ts)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every src/ file (relative to the repository) and the files it imports (relative too; unresolved ones as written). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const deps = importsOf(readFileSync(file, 'utf8')).map((spec) => {
      const target = normalize(join(dirname(file), spec));
      const hit = [target, `${target}.ts`, join(target, 'index.ts')].find((c) => { try { return statSync(c).isFile(); } catch { return false; } });
      return relative(root, hit ?? target);
    });
    g.set(relative(root, file), deps);
  }
  return g;
}

/** Strongly connected components of more than one file (Tarjan), each sorted: the import circles. */
export function circles(g: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), on = new Set<string>(), stack: string[] = [], out: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (let w = ''; w !== v;) {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      }
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Folders only the command line may import: the CLI and what is not the library. */
const NOT_LIBRARY = ['src/cli/', 'src/perf/', 'web/', 'bench/', 'test/'];
/** What src/hpo/ may import besides itself: neutral leaves with no Tox21, no GPU, no data. */
const HPO_MAY_IMPORT = ['src/hpo/', 'src/random/', 'src/stats/', 'src/cache-folder.ts'];

describe('src/ imports', () => {
  const g = graph();

  it('reads the graph (a sanity check of the parser)', () => {
    expect(g.size).toBeGreaterThan(100);
    expect(g.get('src/hpo/open-store.ts')).toEqual(expect.arrayContaining(['src/hpo/store-url.ts', 'src/hpo/stores/sqlite.ts', 'src/hpo/stores/postgres.ts']));
    expect(importsOf(`import a from './a.ts';\nexport { b } from "./b.ts";\nimport './c.ts';\n// import x from './x.ts';\nconst d = await import('./d.ts');\nimport e from 'pg';`)).toEqual(['./a.ts', './b.ts', './c.ts', './d.ts']);
    expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
  });

  it('has no import circles', () => {
    expect(circles(g)).toEqual([]);
  });

  it('no library module imports the CLI, src/perf/, web/, bench/ or test/', () => {
    const bad = [...g].flatMap(([file, deps]) => (file.startsWith('src/cli/') || file.startsWith('src/perf/') ? [] : deps.filter((d) => NOT_LIBRARY.some((p) => d.startsWith(p))).map((d) => `${file} -> ${d}`)));
    expect(bad).toEqual([]);
  });

  it('src/hpo/ imports only itself, src/random/, src/stats/ and src/cache-folder.ts', () => {
    const bad = [...g].flatMap(([file, deps]) => (file.startsWith('src/hpo/') ? deps.filter((d) => !HPO_MAY_IMPORT.some((p) => d.startsWith(p))).map((d) => `${file} -> ${d}`) : []));
    expect(bad).toEqual([]);
  });

  it("the leaves src/hpo/ may use (src/random/, src/stats/, src/cache-folder.ts) import nothing of src/ outside themselves", () => {
    const leaf = (f: string) => f.startsWith('src/random/') || f.startsWith('src/stats/') || f === 'src/cache-folder.ts';
    const bad = [...g].flatMap(([file, deps]) => (leaf(file) ? deps.filter((d) => !leaf(d)).map((d) => `${file} -> ${d}`) : []));
    expect(bad).toEqual([]);
  });
});
