// End-to-end: `tox21 study --quick` on a 300-molecule slice of Tox21 gives the verdict across model families in its
// --json (five kinds, or the reason one is missing), without prediction arrays, for one task and for --task all;
// the split is named in the JSON and the report; and permuting the test split's labels leaves every selection
// (the ensembles' members and weights, the best configuration) unchanged — test values never choose.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random/rng.ts';
import { cliWorkspace, tox21Lines, writeTox21Slice } from './helpers/cli.ts';

const KINDS = ['forest', 'network', 'seed-ensemble', 'ensemble-networks', 'ensemble-all'];
const ws = cliWorkspace('shadergrad-study-');
const dir = ws.dir;
let slice = '';
let permuted = '';

async function study(args: string[]): Promise<{ j: StudyJson; stderr: string }> {
  const r = await ws.runOk(['tox21', 'study', '--quick', '--json', '--backend', 'cpu', '--out', join(dir, 'reports'), ...args]);
  return { j: JSON.parse(r.stdout) as StudyJson, stderr: r.stderr };
}

interface Pair { auc: number | null; wacc: number | null }
interface ModelJson { name: string; kind: string; seeds: number[]; valid: Pair; test: Pair; perTask?: Record<string, { valid: Pair; test: Pair }>; members?: { name: string; weight: number }[] }
interface StudyJson {
  report: string;
  data: { split: { kind: string } };
  verdict: { task: string; tasks: string[]; models: ModelJson[]; missing: string[] };
  searches: { trials: { detail?: Record<string, unknown> }[] }[] & Record<string, unknown>[];
  retrained: { params: Record<string, unknown>; runs: Record<string, unknown>[] } | null;
  network: { runs: Record<string, unknown>[] };
  challenge: { params: Record<string, unknown> | null };
}

/** Each kind of the verdict is there, or the verdict says why it is not. */
function expectKinds(v: StudyJson['verdict']): void {
  for (const kind of KINDS) {
    const has = v.models.some((m) => m.kind === kind);
    if (!has) expect(v.missing.join(' '), `${kind} is absent without a reason`).toMatch(kind.startsWith('ensemble') ? /selected ensembles/ : /network/);
  }
  for (const m of v.models) {
    expect(KINDS).toContain(m.kind);
    for (const s of ['valid', 'test'] as const) for (const k of ['auc', 'wacc'] as const) expect(m[s][k] === null || typeof m[s][k] === 'number').toBe(true);
  }
}

beforeAll(() => {
  const lines = tox21Lines(300);
  slice = writeTox21Slice(dir, 300);
  // The index split puts the last 30 of 300 molecules in test: shuffle the label cells among those rows (the
  // molecules stay in place, so each task's counts, and the training and validation splits, are unchanged).
  const head = lines[0].split(',');
  const smiles = head.indexOf('smiles');
  const cells = lines.slice(1).map((l) => l.split(','));
  const test = cells.slice(270);
  const rng = new Rng(7);
  head.forEach((_, c) => {
    if (c === smiles || head[c] === 'mol_id') return;
    const col = test.map((row) => row[c]);
    for (let i = col.length - 1; i > 0; i--) {
      const k = rng.int(i + 1);
      [col[i], col[k]] = [col[k], col[i]];
    }
    test.forEach((row, i) => (row[c] = col[i]));
  });
  permuted = join(dir, 'tox21-300-permuted.csv');
  writeFileSync(permuted, [lines[0], ...cells.map((r) => r.join(','))].join('\n') + '\n');
});

describe('tox21 study verdict', () => {
  it('one task: the five kinds, no prediction arrays in the JSON, the verdict in the report', async () => {
    const { j } = await study(['--data', slice]);
    expect(j.verdict.task).toBe('NR-AR');
    expect(j.verdict.tasks).toEqual(['NR-AR']);
    expectKinds(j.verdict);
    const forest = j.verdict.models.filter((m) => m.kind === 'forest');
    expect(forest.map((m) => m.seeds)).toEqual([[0, 1, 2], [0]]); // 50 trees over 3 seeds, 200 trees over 1
    for (const m of j.verdict.models) expect(m.perTask).toBeUndefined();
    // Predictions fed the verdict; none reach the JSON (trials, the book's network, the retrained runs).
    for (const t of j.searches.flatMap((s) => s.trials)) expect(t.detail?.predictions).toBeUndefined();
    for (const r of [...j.network.runs, ...(j.retrained?.runs ?? [])]) expect(r.predictions).toBeUndefined();
    for (const s of j.searches) expect(Object.keys(s)).not.toContain('backend'); // the search's Backend object is not data
    const html = readFileSync(j.report, 'utf8');
    expect(html).toContain('Verdict across model families');
    expect(html).toContain('index split');
  });

  it('--task all: means over the tasks and each task, and test labels never change what is selected', async () => {
    const [{ j: a }, { j: b }] = await Promise.all([study(['--data', slice, '--task', 'all']), study(['--data', permuted, '--task', 'all'])]);
    expect(a.verdict.task).toBe('all');
    expect(a.verdict.tasks).toHaveLength(12);
    expectKinds(a.verdict);
    for (const m of a.verdict.models) expect(Object.keys(m.perTask ?? {})).toEqual(a.verdict.tasks);
    const html = readFileSync(a.report, 'utf8');
    expect(html).toContain('<h2>Per task</h2>');
    // Same training and validation data, test labels shuffled: the same choices, the same validation scores.
    expect(b.challenge.params).toEqual(a.challenge.params);
    const byKind = (j: StudyJson) => Object.fromEntries(j.verdict.models.map((m) => [m.name, m]));
    const ma = byKind(a), mb = byKind(b);
    expect(Object.keys(mb)).toEqual(Object.keys(ma));
    for (const [name, m] of Object.entries(ma)) {
      expect(mb[name].members, name).toEqual(m.members);
      expect(mb[name].valid, name).toEqual(m.valid);
    }
    // …and the test labels did change: some test score moved (else this check could not fail).
    expect(a.verdict.models.some((m) => JSON.stringify(m.test) !== JSON.stringify(mb[m.name].test))).toBe(true);
  });

  it('--split scaffold is named in the JSON and the report', async () => {
    const { j } = await study(['--data', slice, '--task', 'all', '--split', 'scaffold']);
    expect(j.data.split.kind).toBe('scaffold');
    expectKinds(j.verdict);
    const html = readFileSync(j.report, 'utf8');
    expect(html).toContain('<b>scaffold split</b>');
    expect(html).toMatch(/scaffold split \d+\/\d+\/\d+/);
  });
});
