// The verdict's tables and sentences, in HTML and for the terminal: names from files (tasks, trials) escaped,
// mean ± sd where seeds give one, the per-task grids' best values marked, and each comparison in words.
import { describe, expect, it } from 'vitest';
import { escapeHtml, perTaskHtml, perTaskLines, perTaskTables, verdictHtml, verdictLines, verdictRows, verdictSentences } from '../src/report/verdict-table.ts';
import { buildVerdict, type Verdict } from '../src/tox21/verdict.ts';
import type { EvalTargets, SplitPredictions } from '../src/tox21/split-predictions.ts';

const EVIL = '<script>alert("x")</script>&\'';
const tasks = ['NR-AR', EVIL];
const s = (auc: number, wacc: number, sd?: [number, number]) => ({ auc, wacc, ...(sd ? { sd: { auc: sd[0], wacc: sd[1] } } : {}) });
const per = (a: number[], b: number[]) => ({ 'NR-AR': { valid: s(a[0], a[1]), test: s(a[2], a[3]) }, [EVIL]: { valid: s(b[0], b[1]), test: s(b[2], b[3]) } });

const verdict: Verdict = {
  task: 'all',
  tasks,
  models: [
    { name: 'random forest (50 trees, balanced)', kind: 'forest', seeds: [0, 1, 2], valid: s(0.78, 0.66, [0.004, 0.01]), test: s(0.81, 0.7, [0.003, 0.02]), perTask: per([0.7, 0.6, 0.8, 0.7], [0.86, 0.72, 0.82, 0.7]) },
    { name: 'random forest (200 trees, balanced)', kind: 'forest', seeds: [0], valid: s(0.79, 0.67), test: s(0.815, 0.71), perTask: per([0.72, 0.6, 0.81, 0.7], [0.86, 0.74, 0.82, 0.72]) },
    { name: 'best network, retrained', kind: 'network', seeds: [100, 101], valid: s(0.76, 0.69, [0.002, 0.005]), test: s(0.8, 0.72, [0.002, 0.004]), perTask: per([0.7, 0.65, 0.78, 0.7], [0.82, 0.73, 0.82, 0.74]) },
    { name: `selected ensemble of networks and forests (9 candidates)`, kind: 'ensemble-all', seeds: [], valid: s(0.8, 0.7), test: s(0.82, 0.73), perTask: per([0.75, 0.66, 0.83, 0.72], [0.85, 0.74, 0.81, 0.74]), members: [{ name: `trial <1>`, weight: 0.6 }, { name: 'forest seed 0', weight: 0.4 }], aggregator: 'rank', note: 'ROC-AUC of the rank average' },
  ],
  comparisons: [
    { scope: 'mean', split: 'test', metric: 'auc', ranking: [{ family: 'blend', model: 'selected ensemble', value: 0.82 }, { family: 'forest', model: 'random forest (200 trees, balanced)', value: 0.815 }], winner: 'blend', margin: 0.005, spread: 0.003, exceedsSpread: false, networkMinusForest: -0.015 },
    { scope: 'mean', split: 'valid', metric: 'wacc', ranking: [{ family: 'network', model: 'best network, retrained', value: 0.69 }, { family: 'forest', model: 'random forest (200 trees, balanced)', value: 0.67 }], winner: 'network', margin: 0.02, spread: 0.01, exceedsSpread: true, networkMinusForest: 0.02 },
    { scope: 'NR-AR', split: 'test', metric: 'auc', ranking: [], winner: null, margin: Number.NaN, spread: Number.NaN, exceedsSpread: null, networkMinusForest: Number.NaN, note: 'NR-AR: ROC-AUC is undefined' },
    { scope: 'NR-AR', split: 'valid', metric: 'auc', ranking: [{ family: 'network', model: 'x', value: 0.7 }, { family: 'forest', model: 'y', value: 0.7 }], winner: null, margin: 0, spread: 0.004, exceedsSpread: null, networkMinusForest: 0, note: 'a tie between network and forest' },
  ],
  excluded: [{ split: 'test', task: EVIL, metric: 'auc', reason: 'ROC-AUC is undefined: only one class present' }],
  selection: { objective: 'valid-auc', size: 50, candidates: { networks: 7, all: 9 } },
  missing: [],
  rule: 'a margin exceeds the spread when …',
};

describe('verdict tables', () => {
  it('rows show mean ± sd over seeds, members for ensembles', () => {
    const rows = verdictRows(verdict);
    expect(rows[0]).toEqual(['random forest (50 trees, balanced)', 'forest', '3', '0.780 ± 0.004', '0.660 ± 0.010', '0.810 ± 0.003', '0.700 ± 0.020']);
    expect(rows[1].slice(2)).toEqual(['1', '0.790', '0.670', '0.815', '0.710']);
    expect(rows[3].slice(1, 3)).toEqual(['ensemble of networks + forests', '2 members']);
  });

  it('say who wins, by how much, and against the seeds\' spread', () => {
    expect(verdictSentences(verdict)).toEqual([
      'mean of the 2 tasks, test ROC-AUC: the blend of networks and forests wins — selected ensemble 0.820 against random forest (200 trees, balanced) 0.815, by 0.005, within twice the seeds\' spread (sd 0.003); networks − forests −0.015.',
      'mean of the 2 tasks, validation weighted accuracy: the networks win — best network, retrained 0.690 against random forest (200 trees, balanced) 0.670, by 0.020, more than twice the seeds\' spread (sd 0.010).',
      'NR-AR, test ROC-AUC: no verdict (NR-AR: ROC-AUC is undefined).',
      'NR-AR, validation ROC-AUC: the networks and the forests tie at 0.700.',
    ]);
  });

  it('per-task grids: tasks as rows then the mean, models as columns, the best of each row marked', () => {
    const t = perTaskTables(verdict);
    expect(t.map((x) => x.title)).toEqual(['validation ROC-AUC per task', 'validation weighted accuracy per task', 'test ROC-AUC per task', 'test weighted accuracy per task']);
    expect(t[0].head).toEqual(['task', 'forest 50', 'forest 200', 'network', 'ensemble of networks + forests']);
    expect(t[0].rows.map((r) => r[0])).toEqual(['NR-AR', EVIL, 'mean']);
    expect(t[0].rows[0]).toEqual(['NR-AR', '0.700', '0.720', '0.700', '0.750']);
    expect(t[0].best).toEqual([4, 1, 4]); // EVIL: 0.86 twice, the first column keeps it
    expect(perTaskTables({ ...verdict, models: verdict.models.slice(0, 1) })[0].best).toEqual([-1, -1, -1]); // nothing to compare
    const lines = perTaskLines(verdict);
    expect(lines).toContain('validation ROC-AUC per task:');
    expect(lines.find((l) => l.startsWith('NR-AR'))).toMatch(/0\.750\*$/);
    expect(perTaskTables({ ...verdict, tasks: ['NR-AR'] })).toEqual([]);
    expect(perTaskHtml({ ...verdict, tasks: ['NR-AR'] })).toBe('');
  });

  it('HTML escapes task, trial and model names', () => {
    const html = verdictHtml(verdict) + perTaskHtml(verdict);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('trial <1>');
    expect(html).toContain(escapeHtml(EVIL));
    expect(escapeHtml(EVIL)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html).toContain('trial &lt;1&gt; ×0.600');
    expect(html).toContain(`<td>${escapeHtml(EVIL)}</td><td class="num"><b>0.860</b></td>`);
    // No tag but the ones the table writes.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(['b', 'h2', 'h3', 'li', 'p', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul']);
  });

  it('terminal lines carry the table, the sentences and the notes', () => {
    const lines = verdictLines(verdict);
    expect(lines[0]).toBe('verdict (2 tasks):');
    expect(lines[1]).toMatch(/^model\s+kind\s+seeds\s+valid AUC\s+valid w-acc\s+test AUC\s+test w-acc$/);
    expect(lines).toContain(`${EVIL} is kept out of the test mean ROC-AUC: ROC-AUC is undefined: only one class present.`);
    expect(lines.some((l) => l.includes('chosen on valid-auc (50 picks, rank aggregation): trial <1> ×0.600, forest seed 0 ×0.400'))).toBe(true);
  });

  it('render a verdict built from predictions', () => {
    const P = (v: number[], t: number[]): SplitPredictions => ({ tasks: ['NR-AR'], valid: Float32Array.from(v), test: Float32Array.from(t) });
    const targets: EvalTargets = {
      valid: { tasks: ['NR-AR'], rows: 4, labels: Float32Array.of(1, 0, 1, 0), weights: Float32Array.of(1, 1, 1, 1) },
      test: { tasks: ['NR-AR'], rows: 2, labels: Float32Array.of(1, 0), weights: Float32Array.of(1, 1) },
    };
    const v = buildVerdict({
      task: 'NR-AR', targets,
      forest: { seeds: [0, 1], predictions: [P([0.9, 0.2, 0.6, 0.4], [0.7, 0.2]), P([0.8, 0.3, 0.4, 0.6], [0.6, 0.3])] },
      network: { seeds: [5], predictions: [P([0.6, 0.1, 0.7, 0.2], [0.4, 0.6])] },
      searched: [{ name: 'trial 0', predictions: P([0.6, 0.1, 0.7, 0.2], [0.4, 0.6]) }],
      options: { size: 3 },
    }).verdict;
    const lines = verdictLines(v);
    expect(lines[0]).toBe('verdict (NR-AR):');
    const table = lines.slice(3, lines.indexOf(''));
    expect(table.map((l) => l.split(/\s{2,}/)[0])).toEqual(['random forest (50 trees, balanced)', 'best network, retrained', 'seed ensemble of the best network (1 seed)', 'selected ensemble of networks (1 candidate)', 'selected ensemble of networks and forests (3 candidates)']);
    expect(lines.some((l) => l.startsWith('NR-AR, test ROC-AUC: the forests win — random forest (50 trees, balanced) 1.000 against best network, retrained 0.000, by 1.000'))).toBe(true);
    expect(verdictHtml(v)).toContain('<td>random forest (50 trees, balanced)</td><td>forest</td><td class="num">2</td><td class="num">0.875 ± 0.177</td>');
  });
});
