/**
 * The study's report: one self-contained HTML file (inline CSS and SVG, no scripts, no network) with the results
 * table in the book's layout, the loss curves, each search as a plot against the forest, the verdict on the book's
 * challenge, the verdict across model families (with several tasks, per task), the adapter and the timings. The
 * split is named wherever the data is described: an index split and a scaffold split answer different questions.
 */
import { adapterName } from '../gpu/adapter-info.ts';
import { spaceText } from '../hpo/space-text.ts';
import { paramText } from '../hpo/space.ts';
import type { TrialRecord } from '../hpo/trial.ts';
import type { Scores, StudyResult, StudySearch } from '../tox21/study.ts';
import { definedMean } from '../stats/mean-sd.ts';
import { dotPlot, lineChart } from './svg-charts.ts';
import { studyCharts } from './trial-charts.ts';
import { perTaskHtml, verdictHtml } from './verdict-table.ts';

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');
const pm = (m: { mean: number; sd: number }) => `${f3(m.mean)} ± ${f3(m.sd)}`;

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function mean(v: number[]): number {
  return definedMean(v.filter(Number.isFinite));
}

/** A trial's value of `key` with its sd over seeds, as "0.680 ± 0.010". */
function trialPm(t: TrialRecord, key: string): string {
  const v = t.values[key], sd = t.valuesSd?.[key];
  return sd !== undefined ? `${f3(v)} ± ${f3(sd)}` : f3(v);
}

export function searchName(s: StudySearch): string {
  return `${s.plan.sampler} search "${s.plan.label}"${s.plan.pruner !== 'none' ? ` + ${s.plan.pruner}` : ''}`;
}

/** Rows of the summary table: model, valid and test weighted accuracy (mean ± sd over seeds), ROC-AUCs, seeds. */
export function summaryRows(r: StudyResult): string[][] {
  const n = r.network.runs;
  const scoreRow = (name: string, v: Scores, t: Scores, seeds: number) => [name, pm(v.wacc), pm(t.wacc), pm(v.auc), pm(t.auc), `${seeds}`];
  const perTask = r.plan.task === 'all' ? ' per task' : '';
  const rows = [
    scoreRow(`random forest (50 trees${perTask}, balanced)`, r.forest.validScores, r.forest.testScores, r.forest.runs.length),
    ...(r.strongForest ? [scoreRow(`random forest (${r.strongForest.runs[0]?.trees ?? 200} trees${perTask}, balanced)`, r.strongForest.validScores, r.strongForest.testScores, r.strongForest.runs.length)] : []),
    ["network, book's defaults", pm(r.network.valid), pm(r.network.test), f3(mean(n.map((x) => x.metrics.valid.rocAuc))), f3(mean(n.map((x) => x.metrics.test.rocAuc))), `${n.length}`],
  ];
  for (const s of r.searches) {
    if (!s.best) continue;
    rows.push([`best of ${searchName(s)} (as searched): ${paramText(s.best.params)}`, trialPm(s.best, 'valid-wacc'), trialPm(s.best, 'test-wacc'), trialPm(s.best, 'valid-auc'), trialPm(s.best, 'test-auc'), `${s.best.seeds.length}`]);
  }
  if (r.retrained) rows.push(scoreRow(`best configuration retrained, fresh seeds ${r.retrained.seeds.join(', ')}`, r.retrained.valid, r.retrained.test, r.retrained.seeds.length));
  return rows;
}

/** The verdict on the book's challenge in words, from the retrained runs. */
export function verdictText(r: StudyResult): string {
  const v = r.challenge;
  if (!v.params || !r.retrained) return 'No search configuration completed, so there is no tuned network to set against the forest.';
  const say = (metric: string, ours: Scores['wacc'], forest: Scores['wacc'], beats: boolean) =>
    `on ${metric} the tuned network ${beats ? 'beats' : 'does not beat'} the forest (${pm(ours)} vs ${pm(forest)} on validation)`;
  return `Best configuration (${paramText(v.params)}, ${f3(v.searched)} on validation while searching), retrained with ${r.retrained.seeds.length} fresh seeds: ` +
    `${say('weighted accuracy', v.valid.wacc, v.forest.valid.wacc, v.beatsForest.wacc)}; ${say('ROC-AUC', v.valid.auc, v.forest.valid.auc, v.beatsForest.auc)}. ` +
    `Test, reported and never used to choose: network ${pm(v.test.wacc)} weighted accuracy and ${pm(v.test.auc)} ROC-AUC, forest ${pm(v.forest.test.wacc)} and ${pm(v.forest.test.auc)}.`;
}

function searchBlock(r: StudyResult, s: StudySearch): string {
  const objective = r.plan.objective;
  const ranked = [...s.trials].sort((a, b) => (Number(b.values[objective.name]) || -1) - (Number(a.values[objective.name]) || -1));
  // The grid's plot shows the objective it ranked on, against the forest's value of the same metric.
  const auc = objective.name === 'valid-auc';
  const words = auc ? 'validation ROC-AUC' : 'validation weighted accuracy';
  const forestValue = auc ? r.forest.validScores.auc.mean : r.forest.valid.mean;
  const key = auc ? 'valid-auc' : 'valid-wacc';
  const dots = s.plan.sampler === 'grid' ? dotPlot(
    `${searchName(s)}: ${words}${r.plan.task === 'all' ? ' (mean over the tasks)' : ''} (mean ± sd over ${s.plan.reps} seed${s.plan.reps > 1 ? 's' : ''})`,
    ranked.map((t) => ({ label: paramText(t.params), mean: t.values[key], sd: t.valuesSd?.[key] ?? 0, failed: t.state === 'failed' })),
    auc ? 'valid ROC-AUC' : 'valid weighted accuracy',
    { value: forestValue, label: `forest ${f3(forestValue)}` },
  ) : '';
  const charts = studyCharts(s.trials, s.plan.space, objective).map((c) => c.svg).join('\n');
  const rows = ranked.map((t, i) => `<tr><td class="num">${i + 1}</td><td class="num">${t.id}</td><td>${esc(paramText(t.params))}</td><td>${t.state}</td><td class="num">${t.budget}</td>` +
    `<td class="num">${trialPm(t, 'valid-wacc')}</td><td class="num">${trialPm(t, 'valid-auc')}</td><td class="num">${trialPm(t, 'test-wacc')}</td><td>${t.reason ? esc(t.reason) : ''}</td></tr>`).join('\n');
  const counts = ['complete', 'pruned', 'failed'].map((k) => `${s.trials.filter((t) => t.state === k).length} ${k}`).join(', ');
  return `<h3>${esc(searchName(s))}</h3>
<p class="meta">space <code>${esc(spaceText(s.plan.space))}</code>${s.plan.mode ? ` (${s.plan.mode} training)` : ''} · ${s.trials.length} trials (${counts}) in ${s.seconds.toFixed(1)} s · up to <b>${s.population}</b> models trained at once · stopped: ${s.stopped}</p>
${dots}${charts}
<table class="search"><thead><tr><th>rank</th><th>id</th><th>configuration</th><th>state</th><th>epochs</th><th>valid w-acc</th><th>valid AUC</th><th>test w-acc (not used to rank)</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The data line: the file's base name (a report is shared; the machine's folders are not its business) and the
 * molecules used out of those read, since failed rows are not in any split.
 */
export function dataLine(d: StudyResult['data']): string {
  const name = d.source.split(/[\\/]/).filter(Boolean).pop() ?? d.source;
  const used = d.split.train + d.split.valid + d.split.test;
  return used === d.rows ? `${name}: ${d.rows} molecules` : `${name}: ${used} of ${d.rows} molecules used (${d.rows - used} could not be featurized)`;
}

export function renderStudyReport(r: StudyResult, generated = new Date()): string {
  const table = `<table><thead><tr><th>model</th><th>valid weighted acc</th><th>test weighted acc</th><th>valid ROC-AUC</th><th>test ROC-AUC</th><th>seeds</th></tr></thead><tbody>
${summaryRows(r).map((row) => `<tr>${row.map((c, i) => `<td${i ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`;
  const loss = lineChart(
    `Training loss per epoch, network with the book's defaults (${r.plan.task})`,
    r.network.runs.map((x) => ({ name: `seed ${x.seed}`, values: x.lossCurve })),
    'epoch', 'mean weighted cross-entropy per example',
  );
  const searchBlocks = r.searches.map((s) => searchBlock(r, s)).join('\n');
  const v = r.challenge;
  const verdict = `<p class="verdict ${v.beatsForest.wacc && v.beatsForest.auc ? 'win' : 'lose'}">${esc(verdictText(r))}</p>`;
  // Guarded: a result rendered from an older run's JSON has no verdict across families.
  const families = r.verdict ? `${verdictHtml(r.verdict)}\n${perTaskHtml(r.verdict)}` : '';
  const scope = r.plan.task === 'all' ? `all ${r.verdict?.tasks.length ?? 12} tasks (one multitask network per run; scores are means over the tasks)` : r.plan.task;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shadergrad — Tox21 study (${esc(r.plan.name)}, ${esc(r.plan.task)}, ${esc(r.data.split.kind)} split)</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:12px 0}th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}
.verdict{padding:10px 14px;border-radius:6px}.win{background:#e7f6e7}.lose{background:#fbecec}.meta{color:#555}
</style></head><body>
<h1>Tox21 hyperparameter study</h1>
<p class="meta">${esc(generated.toISOString())} · plan <b>${esc(r.plan.name)}</b> · task <b>${esc(scope)}</b> · <b>${esc(r.data.split.kind)} split</b> · objective ${esc(r.plan.objective.name)} · adapter <b>${esc(adapterName(r.adapter))}</b> (${esc(r.adapter.runtime)})${r.backend ? ` · backend <b>${esc(r.backend.kind)}</b> (${esc(r.backend.reason)})` : ''}<br>
data ${esc(dataLine(r.data))}, ${esc(r.data.split.kind)} split ${r.data.split.train}/${r.data.split.valid}/${r.data.split.test}, ECFP4 1024 bits (${r.data.cached ? 'from cache' : `featurized in ${r.data.featurizeSeconds.toFixed(2)} s`})</p>
<h2>Results</h2>
${table}
${verdict}
${families}
<h2>Training curves</h2>
${loss}
<h2>Searches</h2>
${searchBlocks}
<h2>Timings</h2>
<table><tbody>
<tr><td>random forest, 50 trees (${r.forest.runs.length} seeds)</td><td class="num">${r.seconds.forest.toFixed(1)} s</td></tr>
${r.strongForest ? `<tr><td>random forest, ${r.strongForest.runs[0]?.trees ?? 200} trees (${r.strongForest.runs.length} seeds)</td><td class="num">${(r.seconds.strongForest ?? 0).toFixed(1)} s</td></tr>` : ''}
<tr><td>network, book's defaults (${r.network.runs.length} runs, ${r.network.population} at once; ${f3(mean(r.network.runs.map((x) => x.seconds.perEpoch)))} s per epoch)</td><td class="num">${r.seconds.network.toFixed(1)} s</td></tr>
<tr><td>searches (up to ${Math.max(0, ...r.searches.map((s) => s.population))} models at once)</td><td class="num">${r.seconds.search.toFixed(1)} s</td></tr>
<tr><td>retraining the best configuration (${r.retrained?.seeds.length ?? 0} seeds at once)</td><td class="num">${r.seconds.retrain.toFixed(1)} s</td></tr>
<tr><td>verdict (ensemble selection on validation, scoring)</td><td class="num">${(r.seconds.verdict ?? 0).toFixed(1)} s</td></tr>
<tr><td>total</td><td class="num">${r.seconds.total.toFixed(1)} s</td></tr>
</tbody></table>
<p class="meta">Protocol: the book's <code>eval_tox21_hyperparams</code> — N(0, 1) initialisation, loss Σ w·sigmoid-cross-entropy per batch, Adam, batches in file order, ŷ = round(σ(logit)) — except where a configuration says mode=modern (He initialisation, mean loss, shuffled batches); weighted accuracy as scikit-learn's <code>accuracy_score(y, ŷ, sample_weight=w)</code>. Hidden layers stack (the book's loop fed each from the input). The forest follows the book: all training rows, missing labels as negatives, no sample weights.</p>
</body></html>
`;
}
