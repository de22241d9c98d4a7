// The README's training example runs as written: the test copies the ```ts block under "## Example" into a file
// inside the package (so `import … from 'shadergrad'` resolves to this checkout) and runs it with tsx.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('README example', () => {
  it('trains XOR and prints [ 0, 1, 1, 0 ]', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.split('## Example')[1];
    expect(section, 'README has an "## Example" section').toBeDefined();
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, 'the Example section has a ```ts block').toBeDefined();
    mkdirSync(join(root, 'test-output'), { recursive: true });
    const file = join(root, 'test-output', 'readme-example.ts');
    writeFileSync(file, code!);
    const out = execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(out.trim().split('\n').pop()).toBe('[ 0, 1, 1, 0 ]');
  });
});
