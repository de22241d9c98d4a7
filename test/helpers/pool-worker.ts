/**
 * A worker entry for test/workers-pool.test.ts: each task's result depends only on its index and the run's salt
 * (as a forest's tree depends only on its seed and index), and the run's setup can make a chosen task throw, a
 * chosen task end the thread, or the setup itself fail.
 */
import { DataFileError } from '../../src/data/data-error.ts';
import { serveTasks } from '../../src/workers/serve.ts';
import { poolTestTask, type PoolTestResult, type PoolTestSetup } from './pool-task.ts';

let setup: PoolTestSetup | null = null;

serveTasks<PoolTestSetup, number, PoolTestResult>({
  setup: (s) => {
    if (s.failSetup) throw new Error('this worker cannot set up');
    setup = s;
  },
  task: (index) => {
    if (!setup) throw new Error('no setup');
    if (index === setup.throwAt) throw new RangeError(`boom at ${index}`);
    if (index === setup.dataErrorAt) throw new DataFileError({ file: 'x.csv', line: 3, row: 1, column: 'NR-AR' }, 'label "maybe" is not 0, 1 or empty');
    if (index === setup.exitAt) process.exit(3);
    if (index === setup.hangAt) for (;;);
    return poolTestTask(setup.salt, index);
  },
  transfer: (r) => [r.draws.buffer as ArrayBuffer],
});
