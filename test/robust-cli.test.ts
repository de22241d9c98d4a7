// The probe of issue 23, CLI side: options and --space values that crashed after training began, outputs checked
// only at the end, storage passwords printed, metrics without positives, a study deleted under a running worker.
// Each case must give one line naming the problem and a non-zero exit, before any training, and no stack trace.
// Cases that fail before the data loads run in-process through main(); those that need the data run the CLI.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Tensor } from '../src/autograd/tensor.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { runMain } from './helpers/cli-in-process.ts';
import { Adam, Momentum, SGD } from '../src/optim/optimizer.ts';
import { writeOutputFile } from '../src/cli/output-path.ts';
import { openStore } from '../src/hpo/open-store.ts';
import { parseStorageUrl, redact } from '../src/hpo/store-url.ts';
import { cliWorkspace, tox21Lines, writeTox21Slice } from './helpers/cli.ts';
import { spec, running } from './helpers/store-fixtures.ts';

const ws = cliWorkspace('shadergrad-robust-');
const dir = ws.dir;
let slice = '';

beforeAll(() => {
  const lines = tox21Lines(300);
  slice = writeTox21Slice(dir, 300);
  // NR-AR (column 0) without positives in the validation split (rows 240-269 of the index split), and nowhere.
  const zeroed = (from: number, to: number) => lines.map((l, i) => (i > from && i <= to && l.startsWith('1,') ? `0${l.slice(1)}` : l)).join('\n');
  writeFileSync(join(dir, 'no-valid-positives.csv'), `${zeroed(240, 270)}\n`);
  writeFileSync(join(dir, 'no-positives.csv'), `${zeroed(0, 300)}\n`);
  writeFileSync(join(dir, 'a-file'), 'x');
});

afterEach(() => vi.restoreAllMocks());

/** main() in this process, with stdout and stderr captured. */
const inProcess = (args: string[]) => runMain(args);

/** The CLI in its own process (test/helpers/cli.ts), in the shape inProcess gives. */
async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await ws.run(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** The first line of stderr is `shadergrad COMMAND: message` and nothing looks like a stack trace. */
function oneLine(r: { err: string }, command: string, message: string): void {
  expect(r.err.split('\n')[0]).toBe(`shadergrad ${command}: ${message}`);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('storage passwords', () => {
  it('are masked in every form: user:pass@, ?password=, ?sslpassword=, any case or escape', () => {
    const cases: [string, string][] = [
      ['postgresql://u:hunter2@db/s', 'postgresql://u:***@db/s'],
      ['postgresql://u@db:5433/s?password=hunter2&sslmode=require', 'postgresql://u@db:5433/s?password=***&sslmode=require'],
      ['postgres://db/s?sslpassword=hunter2;PassWord=hunter2', 'postgres://db/s?sslpassword=***;PassWord=***'],
      ['postgresql://db/s?pass%77ord=hunter2#x', 'postgresql://db/s?pass%77ord=***#x'],
      ['postgresql://u:hun@ter2@db/s', 'postgresql://u:***@db/s'],
    ];
    for (const [url, masked] of cases) {
      expect(redact(url)).toBe(masked);
      expect(parseStorageUrl(url).display).toBe(masked);
    }
  });

  it('are not in the error a bad URL gives', async () => {
    const r = await inProcess(['study', 'list', '--storage', 'postgresql://u@db.example?password=hunter2']);
    expect(r.code).toBe(1);
    oneLine(r, 'study list', '--storage "postgresql://u@db.example?password=***": no database name after the host; expected sqlite:///file.db, sqlite:////abs/file.db or postgresql://user:pass@host/db');
  });
});

describe('options and --space values, refused before anything is loaded or trained', () => {
  it('refuses every bad --space value with the flag-style message, and creates no study', async () => {
    const bad: [string, string][] = [
      ['hidden=abc|50', 'hidden must be an integer ≥ 1, got abc'],
      ['hidden=-5|50', 'hidden must be an integer ≥ 1, got -5'],
      ['hidden=1.5|50', 'hidden must be an integer ≥ 1, got 1.5'],
      ['keep=1.5|0.5', 'keep must be in (0, 1], got 1.5'],
      ['batch=0|100', 'batch must be an integer ≥ 1, got 0'],
      ['epochs=0|1', 'epochs must be an integer ≥ 1, got 0'],
      ['lr=NaN|0.001', 'lr must be a finite number > 0, got NaN'],
      ['mode=fast|book', 'mode must be book or modern, got fast'],
      ['layers=int:0:2', 'layers must be an integer ≥ 1, got 0'],
    ];
    const storage = `sqlite:///${join(dir, 'space.db')}`;
    for (const [space, why] of bad) {
      const r = await inProcess(['tox21', 'search', '--data', slice, '--space', space, '--study', 'bad', '--storage', storage]);
      expect(r.code, space).toBe(2);
      oneLine(r, 'tox21 search', `--space ${space}: ${why}`);
    }
    const store = await openStore(storage);
    expect((await store.listStudies()).map((s) => s.name)).toEqual([]);
    await store.close();
  });

  it('refuses bad flags with their real reason: negative numbers, no layers, NaN or negative rates, counts too large', async () => {
    const cases: [string[], string, string][] = [
      [['tox21', 'fcn', '--epochs', '-1'], 'tox21 fcn', '--epochs must be an integer ≥ 1, got "-1"'],
      [['tox21', 'fcn', '--layers', '0'], 'tox21 fcn', '--layers must be an integer ≥ 1, got "0"'],
      [['tox21', 'fcn', '--lr', 'NaN'], 'tox21 fcn', '--lr must be a finite number > 0, got "NaN"'],
      [['tox21', 'fcn', '--lr', '-1'], 'tox21 fcn', '--lr must be a finite number > 0, got "-1"'],
      [['tox21', 'search', '--reps', '1e9'], 'tox21 search', '--reps must be at most 1,000 (each repetition is a model trained per trial), got "1e9"'],
      [['tox21', 'search', '--trials', '1e12'], 'tox21 search', '--trials must be at most 1,000,000 (each trial is a record kept in memory), got "1e12"'],
      [['tox21', 'rf', '--threads', '10000'], 'tox21 rf', '--threads must be at most 256 (each thread is a JavaScript engine of its own), got "10000"'],
    ];
    for (const [args, command, message] of cases) {
      const r = await inProcess([...args, '--data', slice]);
      expect(r.code, args.join(' ')).toBe(2);
      oneLine(r, command, message);
    }
  });

  it('the library refuses a NaN, negative or infinite learning rate where the optimizer is made', () => {
    const be = new CpuBackend('f64');
    const params = [Tensor.from(be, [1, 2], [2], true)];
    for (const lr of [Number.NaN, -1, 0, Infinity]) {
      expect(() => new Adam(params, { lr }), String(lr)).toThrow(`Adam: the learning rate must be a finite number > 0, got ${lr}`);
      expect(() => new SGD(params, lr), String(lr)).toThrow('SGD: the learning rate must be a finite number > 0');
      expect(() => new Momentum(params, lr), String(lr)).toThrow('Momentum: the learning rate must be a finite number > 0');
    }
    expect(new Adam(params).lr).toBe(0.001);
  });

  it('checks where a command writes before it works: --out a file, a path through a file', async () => {
    const file = join(dir, 'a-file');
    let r = await inProcess(['tox21', 'study', '--quick', '--data', slice, '--out', file]);
    expect(r.code).toBe(1);
    oneLine(r, 'tox21 study', `--out ${file}: is a file, not a folder; give a folder for the output (it is made if missing)`);
    r = await inProcess(['tox21', 'study', '--quick', '--data', slice, '--out', join(file, 'reports')]);
    expect(r.code).toBe(1);
    oneLine(r, 'tox21 study', `--out ${join(file, 'reports')}: ${file} is a file, so the folder cannot be made`);
    const folder = join(dir, 'out-folder');
    mkdirSync(folder);
    r = await inProcess(['bench', '--out', folder]);
    expect(r.code).toBe(1);
    oneLine(r, 'bench', `--out ${folder}: is a folder; give a file name`);
    r = await inProcess(['bench', '--out', join(dir, 'missing', 'bench.json')]);
    expect(r.code).toBe(1);
    oneLine(r, 'bench', `--out ${join(dir, 'missing', 'bench.json')}: the folder ${join(dir, 'missing')} does not exist`);
    expect(readdirSync(dir).filter((f) => f.startsWith('.shadergrad-write-check'))).toEqual([]);
    // Should the disk fail the report after all, the results still reach stdout: the write says why and does not throw.
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    expect(writeOutputFile('tox21 study', join(file, 'r.html'), () => '<html>')).toBe('EEXIST');
    expect(err).toBe(`shadergrad tox21 study: ${join(file, 'r.html')} could not be written (EEXIST); the results follow on stdout\n`);
  });
});

describe('with the data loaded, still before the first trial', () => {
  it('refuses an AUC objective on a split without positives, a task without positives (no verdict), a width that cannot fit', async () => {
    let r = await cli(['tox21', 'search', '--data', join(dir, 'no-valid-positives.csv'), '--objective', 'valid-auc', '--epochs', '1', '--reps', '1', '--json']);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n').at(-1)).toBe('shadergrad tox21 search: task NR-AR has no positives in the validation split (0 of 29): ROC-AUC is undefined; use --objective valid-wacc or another task/split');
    r = await cli(['tox21', 'fcn', '--data', join(dir, 'no-positives.csv'), '--epochs', '1']);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^shadergrad tox21 fcn: task NR-AR has no positives in the data \(0 of 2\d\d labelled\): a model that predicts negative everywhere scores weighted accuracy 1\.000/);
    r = await cli(['tox21', 'study', '--quick', '--data', join(dir, 'no-positives.csv'), '--out', join(dir, 'reports')]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^shadergrad tox21 study: task NR-AR has no positives in the data \(0 of 2\d\d labelled\)/);
    expect(readdirSync(join(dir, 'reports'))).toEqual([]);
    r = await cli(['tox21', 'search', '--data', slice, '--space', 'hidden=50|100000000', '--epochs', '1', '--reps', '1', '--json']);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^shadergrad tox21 search: --space: the largest network it can draw \(hidden 100000000, 1 layer\(s\)\) cannot be trained: network too large: W1 is 1024 × 100000000 floats/m);
    expect(r.err).not.toMatch(/\n\s+at /);
  }, 300_000);
});

describe('a study deleted under a running worker', () => {
  it('tells the worker the study was deleted, not that it "has no trial"', async () => {
    const url = `sqlite:///${join(dir, 'deleted.db')}`;
    const worker = await openStore(url);
    const other = await openStore(url);
    const study = await worker.createStudy(spec('doomed'));
    const trial = (await worker.createTrial(study, running()))!;
    await other.deleteStudy('doomed');
    await expect(worker.updateTrial(study, { ...trial, budget: 1 })).rejects.toThrow(`${parseStorageUrl(url).display}: study "doomed" was deleted while this worker ran it (trial ${trial.id}'s result is not recorded); stopping`);
    await worker.close();
    await other.close();
  });
});
