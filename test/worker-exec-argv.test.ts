// Worker threads start with the parent's Node options less --input-type, which Node refuses for a worker's file.
import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../src/workers/exec-argv.ts';

describe('workerExecArgv', () => {
  it('drops --input-type in both spellings and keeps every other option in order', () => {
    expect(workerExecArgv(['--input-type=module', '--import', 'tsx', '--input-type', 'commonjs', '--max-old-space-size=512'])).toEqual([
      '--import',
      'tsx',
      '--max-old-space-size=512',
    ]);
    expect(workerExecArgv([])).toEqual([]);
  });
});
