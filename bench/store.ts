/**
 * What recording a trial costs in the SQLite study store: the write-through a search does for every trial
 * (created running, one update per epoch with its intermediate value — 45 epochs, the book's — and the final
 * state with its values), each a transaction, on a file in a temporary folder. The budget is < 5 ms per
 * trial. Prints the median and the spread over the trials of the wall time and of the process's CPU time (user +
 * system): on a machine shared with other jobs the wall time includes waiting for a core, the CPU time does not;
 * the load average is printed beside them. `--json` for one JSON line.
 *
 *   npx tsx bench/store.ts [--trials 200] [--epochs 45] [--json] [--storage URL]   (default: a temporary SQLite file)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/hpo/open-store.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';

const { values: o } = parseArgs({ options: { trials: { type: 'string' }, epochs: { type: 'string' }, json: { type: 'boolean' }, storage: { type: 'string' } } });
const nTrials = Number(o.trials ?? 200);
const epochs = Number(o.epochs ?? 45);
const dir = o.storage ? null : mkdtempSync(join(tmpdir(), 'shadergrad-bench-store-'));
const url = o.storage ?? `sqlite:///${join(dir!, 'bench.db')}`;

const store = await openStore(url);
try {
  const study = await store.createStudy({
    name: `bench-${Date.now()}`,
    space: { lr: { kind: 'loguniform', low: 1e-4, high: 1e-1 }, hidden: { kind: 'choice', values: [50, 100, 200] } },
    sampler: { name: 'tpe', options: {} }, pruner: { name: 'asha', options: {} },
    objective: { name: 'valid-wacc', direction: 'maximize' }, reps: 3, nTrials: nTrials + 10, extra: {},
  });
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < nTrials + 10; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const t: TrialRecord = (await store.createTrial(study, {
      params: { lr: 1e-3 * (1 + i), hidden: 100 }, state: 'running', seeds: [0, 1, 2], budget: 0, intermediate: [], values: {}, seconds: 0,
    }, { worker: 'bench', limit: nTrials + 10 }))!;
    for (let e = 1; e <= epochs; e++) {
      t.budget = e;
      t.intermediate.push({ epoch: e, value: 0.5 + e / 200 });
      await store.updateTrial(study, t, 'bench');
    }
    t.state = 'complete';
    t.values = { 'valid-wacc': 0.7, 'valid-auc': 0.75, 'test-wacc': 0.69, 'test-auc': 0.74, 'train-wacc': 0.9 };
    t.valuesSd = { 'valid-wacc': 0.01 };
    t.seconds = 12.3;
    await store.updateTrial(study, t, 'bench');
    const c = process.cpuUsage(c0);
    // the first 10 warm up the statements and the file
    if (i >= 10) {
      ms.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(p * v.length))];
  const stats = (v: number[]) => ({ median: q(v, 0.5), p10: q(v, 0.1), p90: q(v, 0.9) });
  const result = { store: url.startsWith('sqlite') ? 'sqlite' : 'postgres', trials: nTrials, epochs, transactionsPerTrial: epochs + 2, wallMs: stats(ms), cpuMs: stats(cpu), loadavg: loadavg()[0], budgetMs: 5 };
  const f = (s: { median: number; p10: number; p90: number }) => `median ${s.median.toFixed(2)} ms [p10 ${s.p10.toFixed(2)}, p90 ${s.p90.toFixed(2)}]`;
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`recording a trial (created, ${epochs} intermediate values, complete; ${epochs + 2} transactions) in ${result.store}, ${nTrials} trials:\n  wall ${f(result.wallMs)}\n  CPU  ${f(result.cpuMs)}\n  (budget 5 ms; load average ${result.loadavg.toFixed(1)} on ${availableParallelism()} cores)\n`);
} finally {
  await store.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
