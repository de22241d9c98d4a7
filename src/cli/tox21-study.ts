/**
 * `shadergrad tox21 study` (what `npm start` runs): the random-forest baseline, the network with the book's
 * defaults over seeds, and a hyperparameter search; prints the table like the book's and writes a self-contained
 * HTML report under reports/, whose path it prints. --quick is a small version, --full the book's complete grids.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { adapterName } from '../gpu/adapter-info.ts';
import { TreePool } from '../forest/tree-pool.ts';
import { renderStudyReport, summaryRows, verdictText } from '../report/study-report.ts';
import { PLANS, runStudy, type StudyResult } from '../tox21/study.ts';
import { intOption, parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';
import { Progress } from './progress.ts';
import { backendFor, checkTask, DATA_FLAGS, DATA_USAGE, dataJson, dataOptionsFrom, dataText, loadData } from './tox21-shared.ts';

export const usage = `tox21 study ${DATA_USAGE} [--quick|--full] [--task NR-AR] [--population N] [--out DIR] [--backend auto|webgpu|cpu] [--json]`;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, { ...DATA_FLAGS, quick: { type: 'boolean' }, full: { type: 'boolean' }, task: { type: 'string' }, population: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } });
  if (o.quick && o.full) throw new CliError('--quick and --full exclude each other');
  const dataOpts = dataOptionsFrom(o);
  const plan = { ...PLANS[o.quick ? 'quick' : o.full ? 'full' : 'default'] };
  if (o.task) plan.task = o.task;
  const population = o.population === undefined ? undefined : intOption('population', o.population, 1, 1);
  const progress = new Progress(process.stderr);
  const be = await backendFor('tox21 study', o.backend);
  progress.stage(`adapter: ${adapterName(be.info)}`);
  const pool = new TreePool(2);
  try {
    const data = await loadData('tox21 study', dataOpts);
    checkTask(plan.task, data.report, false);
    process.stderr.write(dataText(data.report));
    progress.step(1, 1, `data: ${data.report.rows} molecules, split ${data.split.train.length}/${data.split.valid.length}/${data.split.test.length}${data.report.cached ? ' (features from cache)' : ''}`);
    const result = await runStudy({
      be, data, plan, population,
      forestFit: (x, y, opts) => pool.fit(x, y, opts),
      onEvent: (e) => (e.kind === 'stage' ? progress.stage(e.label) : progress.step(e.done, e.total, e.label)),
    });
    const dir = resolve(o.out ?? 'reports');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `tox21-study-${plan.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.html`);
    writeFileSync(file, renderStudyReport(result));
    if (o.json) process.stdout.write(`${JSON.stringify({ ...result, report: file, data: { ...result.data, ...dataJson(data.report) } })}\n`);
    else process.stdout.write(`\n${studyTable(result)}\nreport: ${file}\n`);
    return 0;
  } finally {
    await pool.close();
  }
}

export function studyTable(r: StudyResult): string {
  const rows = summaryRows(r);
  const head = ['model', 'valid w-acc', 'test w-acc', 'valid AUC', 'test AUC', 'seeds'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [
    line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '',
    `the book's challenge: ${verdictText(r)}`,
    `time: forest ${r.seconds.forest.toFixed(1)} s, network ${r.seconds.network.toFixed(1)} s, search ${r.seconds.search.toFixed(1)} s, retrain ${r.seconds.retrain.toFixed(1)} s ` +
      `(up to ${Math.max(r.network.population, ...r.searches.map((s) => s.population))} models at once) on ${adapterName(r.adapter)}`,
  ].join('\n');
}
