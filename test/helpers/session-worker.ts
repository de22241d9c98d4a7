/**
 * A worker entry for test/sharded-trial-pool.test.ts's session checks: it keeps a running sum between calls (the
 * state a session exists for), throws a RangeError on request, and can end its thread in the middle of a call.
 */
import { serveSession } from '../../src/workers/serve-session.ts';

let sum = 0;

serveSession({
  add: (n: number) => (sum += n),
  slowAdd: async (n: number) => {
    await new Promise((r) => setTimeout(r, 20));
    return (sum += n);
  },
  fail: (why: string) => {
    throw new RangeError(why);
  },
  exit: (code: number) => process.exit(code),
});
