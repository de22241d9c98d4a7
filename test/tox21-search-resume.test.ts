// `tox21 search --study S --storage sqlite:///…` killed with SIGKILL after some trials completed, then run again
// with the same command: the real search (data, populations of one, the SQLite store) — every trial completed before
// the kill is still there with its values and was not trained again (one attempt, same update time), the study ends
// with exactly the grid's trials, each configuration once. And a study's identity: made on one file, it refuses a
// resume on another (naming the data), and takes a renamed copy of the same file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/hpo/open-store.ts';
import type { TrialRecord } from '../src/hpo/trial.ts';
import { datasetHash } from '../src/tox21/study-identity.ts';
import { startCli, tox21Lines, writeTox21Slice } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-search-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `shadergrad tox21 search ARGS` started (the child, to kill mid-run) and its result once it ends. */
function search(args: string[]) {
  return startCli(['tox21', 'search', ...args], { tsx: 'import', env: { XDG_CACHE_HOME: join(dir, 'cache') } });
}

async function rows(url: string) {
  const store = await openStore(url, { create: false });
  try {
    const s = await store.loadStudy('S').catch(() => null);
    return s ? await store.trialRows(s) : [];
  } finally {
    await store.close();
  }
}

describe('tox21 search --study, killed and run again', () => {
  it('keeps what finished, trains nothing twice and ends with exactly the grid', async () => {
    const slice = writeTox21Slice(dir, 300);
    const url = `sqlite:///${join(dir, 'example.db')}`;
    const args = ['--data', slice, '--space', 'hidden=8|16,layers=1|2,epochs=3|4|5,keep=0.5', '--reps', '1', '--population', '1', '--backend', 'webgpu', '--study', 'S', '--storage', url, '--json'];
    const first = search(args);
    let before: TrialRecord[] = [];
    const deadline = Date.now() + 120_000;
    while (before.length < 3) {
      if (Date.now() > deadline) throw new Error(`no 3 completed trials within 120 s: ${first.child.exitCode === null ? 'still running' : 'exited'}`);
      await new Promise((r) => setTimeout(r, 100));
      before = (await rows(url).catch(() => [])).map((r) => r.record).filter((t) => t.state === 'complete');
    }
    first.child.kill('SIGKILL');
    await first.done;
    const kept = (await rows(url)).filter((r) => r.record.state === 'complete');
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThan(12);

    const second = await search(args).done;
    expect(second.code, second.stderr).toBe(0);
    const j = JSON.parse(second.stdout);
    expect(j.trials).toHaveLength(12);
    const after = await rows(url);
    expect(after.map((r) => r.record.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(after.every((r) => r.record.state === 'complete')).toBe(true);
    expect(new Set(after.map((r) => JSON.stringify(r.record.params))).size).toBe(12);
    for (const k of kept) {
      const a = after.find((r) => r.record.id === k.record.id)!;
      // Untouched: the same record, one attempt, not written since.
      expect(a.record).toEqual(k.record);
      expect(a.attempts).toBe(1);
      expect(a.updatedAt).toBe(k.updatedAt);
    }
  });
});

describe("a study's identity", () => {
  it('the data hash is FNV-1a 64 over the tasks, SMILES and labels (checked against BigInt arithmetic)', () => {
    const ref = (text: string) => {
      let h = 0xcbf29ce484222325n;
      for (const ch of text) {
        h ^= BigInt(ch.charCodeAt(0));
        h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
      }
      return h.toString(16).padStart(16, '0');
    };
    const d = { tasks: ['A', 'B'], smiles: ['CCO', 'c1ccccc1', 'N'], y: Float32Array.of(1, 0, 0, 1, 0, 0), labelled: Uint8Array.of(1, 0, 1, 1, 0, 0) };
    expect(datasetHash(d)).toBe(ref('A,B\nCCO\t1-\nc1ccccc1\t01\nN\t--'));
    expect(datasetHash({ ...d, y: Float32Array.of(1, 0, 0, 1, 0, 1), labelled: Uint8Array.of(1, 0, 1, 1, 0, 1) })).not.toBe(datasetHash(d));
  });

  it('a study made on one file refuses a resume on another, naming the data; a renamed copy resumes', async () => {
    const lines = tox21Lines(305);
    // Two slices of 300 molecules, five apart (both hold an NR-AR positive in the validation split).
    const a = writeTox21Slice(dir, 300, 'first-300.csv'), b = join(dir, 'shifted-300.csv'), copy = writeTox21Slice(dir, 300, 'first-300-renamed.csv');
    writeFileSync(b, [lines[0], ...lines.slice(6, 306)].join('\n') + '\n');
    const url = `sqlite:///${join(dir, 'identity.db')}`;
    const args = (data: string) => ['--data', data, '--space', 'hidden=8,epochs=1,keep=0.5', '--reps', '1', '--population', '1', '--study', 'I', '--storage', url, '--json'];
    const made = await search(args(a)).done;
    expect(made.code, made.stderr).toBe(0);
    const other = await search(args(b)).done;
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/study "I" in sqlite:\/\/\/.*identity\.db was created with a different extra\.data\.hash: stored "[0-9a-f]{16}", now "[0-9a-f]{16}"/);
    expect(other.stdout).toBe('');
    const again = await search(args(copy)).done;
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).trials).toHaveLength(1);
    const stored = await openStore(url, { create: false });
    const spec = (await stored.loadStudy('I')).spec;
    await stored.close();
    expect(spec.extra).toMatchObject({ task: 'NR-AR', featurizer: 'ecfp4-1024', data: { molecules: 300 }, split: { kind: 'index' } });
  });
});
