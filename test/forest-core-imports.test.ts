/**
 * The tree-growing core must run in a Web Worker as well as in Node, so nothing it imports, directly or through
 * other files, may come from node:*; nor may the pool it grows on and its one worker entry. Only tree-pool.ts (the
 * Node transport) may.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcForest = fileURLToPath(new URL('../src/forest/', import.meta.url));

/** Every file reachable from `file` through relative imports, with the non-relative specifiers each one names. */
function importGraph(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen;
  const specifiers = [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
  seen.set(file, specifiers.filter((s) => !s.startsWith('.')));
  for (const s of specifiers) if (s.startsWith('.')) importGraph(resolve(dirname(file), s), seen);
  return seen;
}

describe('forest core imports', () => {
  it.each(['grow.ts', 'forest.ts', 'forest-pool.ts', 'tree-worker.ts'])('%s reaches no node:* module', (entry) => {
    const graph = importGraph(resolve(srcForest, entry));
    expect(graph.size).toBeGreaterThan(3);
    const nodeImports = [...graph].flatMap(([file, specs]) => specs.map((s) => `${file}: ${s}`));
    expect(nodeImports).toEqual([]);
  });
});
