/**
 * Random-forest fit time on Tox21 NR-AR (the book's protocol: 50 class-balanced trees, sqrt features, every training
 * row with missing labels as 0), ours against scikit-learn in the same run on the same ECFP4 bits, on 1 and 2
 * threads. scikit-learn runs only if /usr/bin/python3 (or $PYTHON) imports sklearn; the bench says so when it does not.
 *
 *   npx tsx bench/forest.ts [--data PATH] [--reps 5]
 *
 * Ours is timed three ways, because a Node process pays costs sklearn does not: "first" is the first 1-thread fit in
 * the process (V8 still compiling the hot loops); "pool cold" starts fresh worker threads inside the timed fit
 * (~0.25 s each under tsx); "pool warm" reuses started workers, as the CLI's `--task all` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intOption, parseOptions } from '../src/cli/args.ts';
import { selectRows } from '../src/data/sparse-bits.ts';
import { loadTox21 } from '../src/data/tox21.ts';
import { rocAuc } from '../src/metrics/roc-auc.ts';
import { RandomForest } from '../src/forest/forest.ts';
import { TreePool, fitForest } from '../src/forest/tree-pool.ts';
import { BOOK_FOREST, taskColumn, trainingRows } from '../src/forest/tox21-baseline.ts';

/** Reads the rows written by runSklearn, times fits with n_jobs 1 and 2, prints one JSON line. */const SKLEARN_SCRIPT = `
import json, sys, time
import numpy as np, sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
folder, n_bits, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def read(name):
    lines = open(folder + '/' + name).read().split('\\n')
    X = np.zeros((len(lines), n_bits), np.float32)
    y = np.zeros(len(lines)); w = np.zeros(len(lines))
    for r, line in enumerate(lines):
        v = line.split()
        y[r], w[r] = float(v[0]), float(v[1])
        X[r, [int(b) for b in v[2:]]] = 1
    return X, y, w
X, y, _ = read('train.txt')
Xv, yv, wv = read('valid.txt')
fit, aucs = {}, []
for n_jobs in (1, 2):
    times = []
    for seed in range(reps):
        m = RandomForestClassifier(n_estimators=50, class_weight='balanced', max_features='sqrt', random_state=seed, n_jobs=n_jobs)
        t0 = time.perf_counter(); m.fit(X, y); times.append(time.perf_counter() - t0)
        if n_jobs == 1:
            p = m.predict_proba(Xv)[:, 1]
            aucs.append(roc_auc_score(yv[wv > 0], p[wv > 0]))
    fit[str(n_jobs)] = float(np.median(times))
print(json.dumps({'version': sklearn.__version__, 'numpy': np.__version__, 'fit': fit, 'validAucs': aucs}))
`;

const o = parseOptions(process.argv.slice(2), { data: { type: 'string' }, reps: { type: 'string' } });
const reps = intOption('reps', o.reps, 5, 1);
const repoRoot = resolve(fileURLToPath(import.meta.url), '../..');
const sharedData = resolve(repoRoot, '../shared/data/tox21.csv.gz');
const data = o.data ?? (existsSync(sharedData) ? sharedData : undefined);

const { dataset, split } = await loadTox21({ data, split: 'index' });
const T = dataset.tasks.length;
const task = dataset.tasks.indexOf('NR-AR');
const rows = trainingRows(dataset, split, task, false);
const x = selectRows(dataset.features, rows);
const y = Uint8Array.from(taskColumn(dataset.y, T, task, rows));
const xValid = selectRows(dataset.features, split.valid);
const yValid = taskColumn(dataset.y, T, task, split.valid);
const wValid = taskColumn(dataset.w, T, task, split.valid);
console.log(`NR-AR: ${rows.length} training rows × ${x.nBits} bits, ${BOOK_FOREST.nEstimators} trees, ${reps} seeds per setting`);

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
const seconds = async (f: () => Promise<RandomForest> | RandomForest) => {
  const t0 = performance.now();
  const forest = await f();
  return { s: (performance.now() - t0) / 1000, auc: rocAuc(yValid, forest.predictProba(xValid), wValid) };
};
const options = (seed: number) => ({ ...BOOK_FOREST, seed });

const first = await seconds(() => RandomForest.fit(x, y, options(0)));
const one: number[] = [];
const aucs: number[] = [];
for (let seed = 0; seed < reps; seed++) {
  const r = await seconds(() => RandomForest.fit(x, y, options(seed)));
  one.push(r.s);
  aucs.push(r.auc);
}
const cold: number[] = [];
for (let seed = 0; seed < reps; seed++) cold.push((await seconds(() => fitForest(x, y, { ...options(seed), threads: 2 }))).s);
const pool = new TreePool(2);
await pool.fit(x, y, options(0)); // start the worker and compile its loops
const warm: number[] = [];
for (let seed = 0; seed < reps; seed++) warm.push((await seconds(() => pool.fit(x, y, options(seed)))).s);
await pool.close();

const skRun = runSklearn();
const sk = 'reason' in skRun ? null : skRun;
const fmt = (s: number) => `${s.toFixed(3)} s`;
const ratio = (ours: number, theirs: number | undefined) => (theirs ? `${(ours / theirs).toFixed(2)}×` : 'n/a');
const lines: [string, number, number | undefined][] = [
  ['1 thread, first fit in process', first.s, sk?.fit['1']],
  ['1 thread', median(one), sk?.fit['1']],
  ['2 threads, pool cold (incl. worker start)', median(cold), sk?.fit['2']],
  ['2 threads, pool warm', median(warm), sk?.fit['2']],
];
console.log(`\n${'fit time (median over seeds)'.padEnd(44)}${'shadergrad'.padEnd(12)}${'sklearn'.padEnd(12)}ours / sklearn`);
for (const [name, ours, theirs] of lines) console.log(`${name.padEnd(44)}${fmt(ours).padEnd(12)}${(theirs ? fmt(theirs) : '—').padEnd(12)}${ratio(ours, theirs)}`);
// Same job, not just the same speed: the seed-to-seed spread of one forest's AUC is large, so it is printed too.
const spread = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1));
  return `${m.toFixed(3)} ± ${sd.toFixed(3)} (sd)`;
};
console.log(`\nvalid ROC-AUC over seeds 0-${reps - 1}: shadergrad ${spread(aucs)}${sk ? `, sklearn ${spread(sk.validAucs)}` : ''}`);
if (sk) console.log(`scikit-learn ${sk.version} (numpy ${sk.numpy}), same bits as a dense float32 matrix, n_jobs = 1 and 2`);
else console.log(`\nscikit-learn: NOT MEASURED — ${(skRun as { reason: string }).reason}`);


/** Times sklearn's RandomForestClassifier on the same rows: the bits go through a temporary text file. */
function runSklearn(): { version: string; numpy: string; fit: Record<'1' | '2', number>; validAucs: number[] } | { reason: string } {
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { reason: `${python} cannot import sklearn (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}); on Debian: apt-get install python3-sklearn` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'shadergrad-forest-bench-'));
  try {
    const rowsText = (bits: typeof x, labels: ArrayLike<number>, weights?: ArrayLike<number>) =>
      Array.from({ length: labels.length }, (_, r) => {
        const set = bits.indices.subarray(bits.offsets[r], bits.offsets[r + 1]);
        return `${labels[r]} ${weights ? weights[r] : 1} ${set.join(' ')}`;
      }).join('\n');
    writeFileSync(join(dir, 'train.txt'), rowsText(x, y));
    writeFileSync(join(dir, 'valid.txt'), rowsText(xValid, yValid, wValid));
    const run = spawnSync(python, ['-c', SKLEARN_SCRIPT, dir, String(x.nBits), String(reps)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (run.status !== 0) {
      return { reason: `the sklearn script failed: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}` };
    }
    return JSON.parse(run.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
