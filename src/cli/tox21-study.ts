/**
 * `shadergrad tox21 study` (what `npm start` runs): the random-forest baselines, the network with the book's
 * defaults over seeds, a hyperparameter search, the best configuration retrained and the verdict across model
 * families; prints the table like the book's and the verdict (with `--task all` per task too) and writes a
 * self-contained HTML report under reports/, whose path it prints. --quick is a small version, --full the book's
 * complete grids; `--task all` studies the twelve tasks on mean validation ROC-AUC (PLANS_ALL).
 */
import { join, resolve } from 'node:path';
import { adapterName } from '../gpu/adapter-info.ts';
import { TreePool } from '../forest/tree-pool.ts';
import { renderStudyReport, summaryRows, verdictText } from '../report/study-report.ts';
import { studyJson } from '../report/results-json.ts';
import { runStudy, studyPlan, type StudyResult } from '../tox21/study.ts';
import { perTaskLines, verdictLines } from '../report/verdict-table.ts';
import { parseOptions, countOption } from './args.ts';
import { CliError } from './cli-error.ts';
import { Progress } from './progress.ts';
import { checkOutputFolder, writeOutputFile } from './output-path.ts';
import { checkSearchSpace } from '../tox21/options-check.ts';
import { backendFor, checkTask, DATA_FLAGS, DATA_USAGE, dataJson, dataOptionsFrom, dataText, loadData } from './tox21-shared.ts';

export const usage = `tox21 study ${DATA_USAGE} [--quick|--full] [--task NR-AR|all] [--population N] [--out DIR] [--backend auto|webgpu|cpu] [--json]`;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, { ...DATA_FLAGS, quick: { type: 'boolean' }, full: { type: 'boolean' }, task: { type: 'string' }, population: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } });
  if (o.quick && o.full) throw new CliError('--quick and --full exclude each other');
  const dataOpts = dataOptionsFrom(o);
  const plan = studyPlan(o.quick ? 'quick' : o.full ? 'full' : 'default', o.task);
  const population = o.population === undefined ? undefined : countOption('population', o.population, 1);
  checkOutputFolder('tox21 study', 'out', o.out ?? 'reports'); // before any training: a bad --out must not lose the run
  for (const s of plan.searches) checkSearchSpace(s.space, `plan ${plan.name}, search ${s.label}:`);
  const progress = new Progress(process.stderr);
  const be = await backendFor('tox21 study', o.backend, {}, { populations: population === undefined });
  progress.stage(`adapter: ${adapterName(be.info)}`);
  const pool = new TreePool(2);
  try {
    const data = await loadData('tox21 study', dataOpts);
    checkTask(plan.task, data.report, true);
    process.stderr.write(dataText(data.report));
    progress.step(1, 1, `data: ${data.report.rows} molecules, split ${data.split.train.length}/${data.split.valid.length}/${data.split.test.length}${data.report.cached ? ' (features from cache)' : ''}`);
    const result = await runStudy({
      be, data, plan, population,
      forestFit: (x, y, opts) => pool.fit(x, y, opts),
      onEvent: (e) => (e.kind === 'stage' ? progress.stage(e.label) : progress.step(e.done, e.total, e.label)),
    });
    const dir = resolve(o.out ?? 'reports');
    const file = join(dir, `tox21-study-${plan.name}${plan.task === 'all' ? '-all' : ''}-${new Date().toISOString().replace(/[:.]/g, '-')}.html`);
    const unwritten = writeOutputFile('tox21 study', file, () => renderStudyReport(result)); // a failure here keeps the results
    if (o.json) await writeOut(`${JSON.stringify(studyJson(result, unwritten ? null : file, dataJson(data.report)))}\n`);
    else await writeOut(`\n${studyTable(result)}\nreport: ${unwritten ? `not written (${unwritten})` : file}\n`);
    return unwritten ? 1 : 0;
  } finally {
    await pool.close();
  }
}

/** Resolves once stdout has taken the text (after a 'drain' when its buffer was full): the caller exits right after. */
function writeOut(text: string): Promise<void> {
  return new Promise((done) => (process.stdout.write(text) ? done() : process.stdout.once('drain', done)));
}

export function studyTable(r: StudyResult): string {
  const rows = summaryRows(r);
  const head = ['model', 'valid w-acc', 'test w-acc', 'valid AUC', 'test AUC', 'seeds'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [
    line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '',
    `the book's challenge: ${verdictText(r)}`,
    '', ...verdictLines(r.verdict), ...perTaskLines(r.verdict), '',
    `data: ${r.data.split.kind} split ${r.data.split.train}/${r.data.split.valid}/${r.data.split.test}`,
    `time: forest ${r.seconds.forest.toFixed(1)} s, 200-tree forest ${r.seconds.strongForest.toFixed(1)} s, network ${r.seconds.network.toFixed(1)} s, search ${r.seconds.search.toFixed(1)} s, ` +
      `retrain ${r.seconds.retrain.toFixed(1)} s, verdict ${r.seconds.verdict.toFixed(1)} s, total ${r.seconds.total.toFixed(1)} s ` +
      `(up to ${Math.max(r.network.population, ...r.searches.map((s) => s.population))} models at once) on ${adapterName(r.adapter)}`,
  ].join('\n');
}
