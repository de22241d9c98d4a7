// Any MoleculeNet-style CSV end to end through the training commands (issue 16, points 1, 4, 5, 6 and 7): a small
// file shaped like BBBP (columns num, name, p_np, smiles; 11 SMILES RDKit reads only unsanitized; one it cannot
// read; positives sorted last, so the index split leaves validation and test without negatives, as in BBBP). Each
// command must say, in text and JSON, what it used and what it set aside, take --split/--split-seed, bound seeds the
// same way, and refuse a network too large before allocating it. Run in-process on the CPU backend to stay small.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './helpers/cli-in-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-molcsv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let bbbp = '';

/** 93 readable molecules with distinct ring scaffolds (and a few acyclic), labels alternating, then 22 positives. */
function bbbpLike(): string {
  const rings = ['c1ccccc1', 'C1CCCCC1', 'C1CCCC1', 'c1ccncc1', 'C1CCOC1', 'c1ccsc1', 'C1CCNCC1', 'c1ccoc1'];
  const ringMols: string[] = [];
  for (let a = 0; a < rings.length; a++) {
    for (let b = a; b < rings.length; b++) for (let k = 1; k <= 2; k++) ringMols.push(`${rings[a]}${'C'.repeat(k)}${rings[b].replace(/1/g, '2')}`);
  }
  const acyclic = ['CCO', 'CCCO', 'CCN', 'CCCN', 'CCOC', 'CC(C)O', 'CCCCO', 'CCC(=O)O', 'CC(=O)N', 'CCCl'];
  // Pentavalent nitrogen, aluminium as Tox21 writes it, a ring that cannot be kekulized: RDKit needs sanitize: false.
  const unsanitized = ['C[N+](C)(C)(C)C', 'CC[N+](C)(C)(C)C', 'CCC[N+](C)(C)(C)C', 'CCCC[N+](C)(C)(C)C', 'OCC[N+](C)(C)(C)C', 'NCC[N+](C)(C)(C)C',
    'O=CO[AlH3](OC=O)OC=O', 'CC(=O)O[AlH3](OC(C)=O)OC(C)=O', 'Cc1cccc1', 'CCc1cccc1', 'OCc1cccc1'];
  const mixed = [...acyclic, ...unsanitized, ...ringMols.slice(0, 50)];
  const lines = ['num,name,p_np,smiles'];
  let num = 1;
  mixed.forEach((s, i) => {
    lines.push(`${num},mol${num},${i % 2},${s}`);
    num++;
    if (i === 30) lines.push(`${num},bad${num++},1,C1CC`); // an unclosed ring: unreadable
  });
  for (const s of ringMols.slice(50)) lines.push(`${num},mol${num++},1,${s}`);
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  bbbp = join(dir, 'BBBP.csv');
  writeFileSync(bbbp, bbbpLike());
});

const cli = (args: string[]) => runMain(args, { cacheHome: join(dir, 'cache') });

/** What every command must report about this file, under `data` in its JSON. */
function expectDataReport(data: Record<string, unknown>, split: string): void {
  expect(data).toMatchObject({
    source: bbbp, rows: 94, featurized: 93, failed: 1, unsanitized: 11,
    unsanitizedRows: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    failures: [{ row: 31, line: 33, column: 'smiles', smiles: 'C1CC', reason: 'RDKit cannot parse the SMILES, even without sanitization' }],
    ignoredColumns: [{ name: 'num', reason: 'not 0/1 labels (e.g. "2" on line 3)' }],
    split: { kind: split },
  });
  expect(Object.keys(data.tasks as object)).toEqual(['p_np']);
  const s = data.split as { train: number; valid: number; test: number };
  expect(s.train + s.valid + s.test).toBe(93);
}

function expectDataText(text: string, split: string): void {
  expect(text).toContain(`data         ${bbbp}`);
  expect(text).toContain('rows         94 = 93 featurized (11 without sanitization) + 1 failed');
  expect(text).toContain('failed       data row 31 (line 33), column "smiles": RDKit cannot parse the SMILES, even without sanitization — "C1CC"');
  expect(text).toContain('ignored      column "num": not 0/1 labels (e.g. "2" on line 3)');
  expect(text).toContain('tasks        1 used: p_np');
  expect(text).toMatch(new RegExp(`split        ${split}: train \\d+ / valid \\d+ / test \\d+`));
}

describe('a BBBP-shaped file through the training commands', () => {
  it('rf --split scaffold: finite validation ROC-AUC, and the set-aside rows and columns in JSON and text', async () => {
    const j = await cli(['tox21', 'rf', '--data', bbbp, '--task', 'p_np', '--split', 'scaffold', '--trees', '10', '--threads', '1', '--json']);
    expect(j.code, j.err).toBe(0);
    const r = JSON.parse(j.out);
    expect(Number.isFinite(r.metrics.valid.rocAuc)).toBe(true);
    expect(Number.isFinite(r.metrics.test.rocAuc)).toBe(true);
    expectDataReport(r.data, 'scaffold');
    const t = await cli(['tox21', 'rf', '--data', bbbp, '--task', 'p_np', '--split', 'scaffold', '--trees', '10', '--threads', '1']);
    expect(t.code, t.err).toBe(0);
    expectDataText(t.out, 'scaffold');
  });

  it('rf on the index split: validation holds only positives (AUC undefined), and the report says which split', async () => {
    const r = JSON.parse((await cli(['tox21', 'rf', '--data', bbbp, '--task', 'p_np', '--trees', '4', '--threads', '1', '--json'])).out);
    expect(r.metrics.valid.rocAuc).toBeNull(); // NaN in JSON
    expect(r.data.split).toEqual({ kind: 'index', seed: null, train: 74, valid: 9, test: 10 });
  });

  it('fcn --split scaffold: the same, and --split random with --split-seed', async () => {
    const j = await cli(['tox21', 'fcn', '--data', bbbp, '--task', 'p_np', '--split', 'scaffold', '--epochs', '2', '--backend', 'cpu', '--json']);
    expect(j.code, j.err).toBe(0);
    const r = JSON.parse(j.out);
    expect(Number.isFinite(r.metrics.valid.rocAuc)).toBe(true);
    expectDataReport(r.data, 'scaffold');
    const t = await cli(['tox21', 'fcn', '--data', bbbp, '--task', 'p_np', '--split', 'random', '--split-seed', '3', '--epochs', '1', '--backend', 'cpu']);
    expect(t.code, t.err).toBe(0);
    expectDataText(t.out, 'random seed 3');
  });

  it('fcn --task all names the column it ignored (an "active/inactive" column): nothing trains on fewer tasks unsaid', async () => {
    // BBBP plus a second task and a text outcome column, as a user's own assay file might have.
    const rows = bbbpLike().trim().split('\n').map((line, i) => {
      const [num, name, y, smiles] = line.split(',');
      return i === 0 ? 'num,name,p_np,p_np_copy,outcome,smiles' : [num, name, y, y, y === '1' ? 'active' : 'inactive', smiles].join(',');
    });
    const file = join(dir, 'assays.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const j = await cli(['tox21', 'fcn', '--data', file, '--task', 'all', '--epochs', '1', '--backend', 'cpu', '--json']);
    expect(j.code, j.err).toBe(0);
    const r = JSON.parse(j.out);
    expect(Object.keys(r.tasks)).toEqual(['p_np', 'p_np_copy']);
    expect(r.data.ignoredColumns).toEqual([
      { name: 'num', reason: 'not 0/1 labels (e.g. "2" on line 3)' },
      { name: 'outcome', reason: 'not 0/1 labels (e.g. "inactive" on line 2)' },
    ]);
    const t = await cli(['tox21', 'fcn', '--data', file, '--task', 'all', '--epochs', '1', '--backend', 'cpu']);
    expect(t.out).toContain('ignored      column "num": not 0/1 labels (e.g. "2" on line 3)');
    expect(t.out).toContain('ignored      column "outcome": not 0/1 labels (e.g. "inactive" on line 2)');
    expect(t.out).toContain('tasks        2 used: p_np, p_np_copy');
  });

  it('search takes --split and reports the data in its JSON, and as text on stderr', async () => {
    const s = await cli(['tox21', 'search', '--data', bbbp, '--task', 'p_np', '--split', 'scaffold', '--preset', 'random-lr', '--trials', '1', '--reps', '1', '--epochs', '1', '--backend', 'cpu', '--json']);
    expect(s.code, s.err).toBe(0);
    expectDataReport(JSON.parse(s.out).data, 'scaffold');
    const t = await cli(['tox21', 'search', '--data', bbbp, '--task', 'p_np', '--split', 'scaffold', '--preset', 'random-lr', '--trials', '1', '--reps', '1', '--epochs', '1', '--backend', 'cpu']);
    expect(t.code, t.err).toBe(0);
    expectDataText(t.err, 'scaffold');
  });

  it('study takes --split and reports the data in its JSON and on stderr', async () => {
    const st = await cli(['tox21', 'study', '--quick', '--data', bbbp, '--task', 'p_np', '--split', 'scaffold', '--backend', 'cpu', '--out', join(dir, 'reports'), '--json']);
    expect(st.code, st.err).toBe(0);
    expectDataReport(JSON.parse(st.out).data, 'scaffold');
    expectDataText(st.err, 'scaffold');
  });
});

describe('options shared by every command', () => {
  it('seeds are bounded the same everywhere: 2^32 is refused by data, rf and fcn', async () => {
    for (const args of [
      ['tox21', 'data', '--data', bbbp, '--split', 'random', '--seed', '4294967296'],
      ['tox21', 'data', '--data', bbbp, '--split', 'random', '--split-seed', '4294967296'],
      ['tox21', 'rf', '--data', bbbp, '--task', 'p_np', '--split', 'random', '--split-seed', '4294967296'],
      ['tox21', 'fcn', '--data', bbbp, '--task', 'p_np', '--seed', '4294967296'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/--(split-)?seed must be an integer in \[0, 2\^32\), got "4294967296"/);
    }
    const ok = await cli(['tox21', 'data', '--data', bbbp, '--split', 'random', '--seed', '4294967295', '--json']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).split).toMatchObject({ kind: 'random', seed: 4294967295 });
  });

  it('a split seed without --split random is a usage error', async () => {
    const r = await cli(['tox21', 'rf', '--data', bbbp, '--task', 'p_np', '--split-seed', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--split-seed applies only to --split random (the index split has no seed)');
  });

  it('--task on a column that was ignored says so and why', async () => {
    for (const cmd of ['rf', 'fcn']) {
      const r = await cli(['tox21', cmd, '--data', bbbp, '--task', 'num', '--backend', 'cpu'].filter((a, i, all) => cmd === 'fcn' || (a !== '--backend' && all[i - 1] !== '--backend')));
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--task num: the column "num" of ${bbbp} was ignored as a task: not 0/1 labels (e.g. "2" on line 3)`);
    }
    const empty = join(dir, 'empty-task.csv');
    writeFileSync(empty, 'NR-AR,NR-ER,smiles\n,0,CCO\n,1,CCN\n,0,CCC\n');
    const r = await cli(['tox21', 'rf', '--data', empty, '--task', 'NR-AR', '--threads', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--task NR-AR: the column "NR-AR" of ${empty} was ignored as a task: every cell is empty`);
  });

  it('fcn --hidden 100000000 is refused before allocating, naming the size, without a stack trace', async () => {
    const r = await cli(['tox21', 'fcn', '--data', bbbp, '--task', 'p_np', '--hidden', '100000000', '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('network too large: W1 is 1024 × 100000000 floats = 381.5 GiB');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('a header-only file names the real problem', async () => {
    const empty = join(dir, 'header-only.csv');
    writeFileSync(empty, 'num,name,p_np,smiles\n');
    const r = await cli(['tox21', 'rf', '--data', empty, '--task', 'p_np']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${empty}, line 1: the file has a header (num, name, p_np, smiles) but no data rows`);
  });
});
