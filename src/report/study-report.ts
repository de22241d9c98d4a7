/**
 * The study's report: one self-contained HTML file (inline CSS and SVG, no scripts, no network) with the results
 * table in the book's layout, the loss curves, each search as a plot against the forest, the verdict on the book's
 * challenge, the adapter and the timings.
 */
import { adapterName } from '../gpu/adapter-info.ts';
import { paramText } from '../hpo/space.ts';
import type { StudyResult } from '../tox21/study.ts';
import { dotPlot, lineChart } from './svg-charts.ts';

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');
const pm = (m: { mean: number; sd: number }) => `${f3(m.mean)} ± ${f3(m.sd)}`;

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function mean(v: number[]): number {
  const d = v.filter(Number.isFinite);
  return d.length ? d.reduce((a, b) => a + b, 0) / d.length : Number.NaN;
}

/** Rows of the summary table: model, valid and test weighted accuracy (mean ± sd over seeds), mean ROC-AUCs. */
export function summaryRows(r: StudyResult): string[][] {
  const f = r.forest.runs, n = r.network.runs;
  const rows = [
    ['random forest (50 trees, balanced)', pm(r.forest.valid), pm(r.forest.test), f3(mean(f.map((x) => x.metrics.valid.rocAuc))), f3(mean(f.map((x) => x.metrics.test.rocAuc))), `${f.length}`],
    ["network, book's defaults", pm(r.network.valid), pm(r.network.test), f3(mean(n.map((x) => x.metrics.valid.rocAuc))), f3(mean(n.map((x) => x.metrics.test.rocAuc))), `${n.length}`],
  ];
  for (const s of r.searches) {
    if (!s.best) continue;
    const auc = (k: 'validAuc' | 'testAuc') => f3(mean(s.best!.runs.map((x) => Number(x.detail?.[k]))));
    rows.push([`best of ${s.strategy} search "${s.preset}": ${paramText(s.best.params)}`, pm(s.best.valid), pm(s.best.test), auc('validAuc'), auc('testAuc'), `${s.reps}`]);
  }
  return rows;
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
  const searchBlocks = r.searches.map((s) => {
    const plot = dotPlot(
      `${s.strategy} search "${s.preset}": validation weighted accuracy (mean ± sd over ${s.reps} seed${s.reps > 1 ? 's' : ''})`,
      s.trials.map((t) => ({ label: paramText(t.params), mean: t.valid.mean, sd: t.valid.sd, failed: t.status === 'failed' })),
      'valid weighted accuracy',
      { value: r.forest.valid.mean, label: `forest ${f3(r.forest.valid.mean)}` },
    );
    const rows = s.trials.map((t, i) => `<tr><td class="num">${i + 1}</td><td>${esc(paramText(t.params))}</td><td class="num">${t.status === 'ok' ? pm(t.valid) : 'failed'}</td><td class="num">${t.status === 'ok' ? pm(t.test) : '—'}</td><td>${t.status}${t.runs.find((x) => x.error) ? `: ${esc(t.runs.find((x) => x.error)!.error!)}` : ''}</td></tr>`).join('\n');
    return `${plot}<table class="search"><thead><tr><th>rank</th><th>configuration</th><th>valid w-acc</th><th>test w-acc (not used to rank)</th><th>status</th></tr></thead><tbody>${rows}</tbody></table>`;
  }).join('\n');
  const v = r.verdict;
  const verdict = v.params
    ? `<p class="verdict ${v.beatsForest ? 'win' : 'lose'}">Best searched configuration: <b>${esc(paramText(v.params))}</b>, mean validation weighted accuracy <b>${f3(v.valid)}</b> against the forest's <b>${f3(v.forestValid)}</b>: the network ${v.beatsForest ? '<b>beats</b>' : 'does <b>not</b> beat'} the forest. Its test score, reported and never used for selection: <b>${f3(v.test)}</b>.</p>`
    : '<p class="verdict lose">No search configuration completed.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shadergrad — Tox21 study (${esc(r.plan.name)})</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:12px 0}th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}
.verdict{padding:10px 14px;border-radius:6px}.win{background:#e7f6e7}.lose{background:#fbecec}.meta{color:#555}
</style></head><body>
<h1>Tox21 hyperparameter study</h1>
<p class="meta">${esc(generated.toISOString())} · plan <b>${esc(r.plan.name)}</b> · task <b>${esc(r.plan.task)}</b> · adapter <b>${esc(adapterName(r.adapter))}</b> (${esc(r.adapter.runtime)})<br>
data ${esc(r.data.source)}: ${r.data.rows} molecules, index split ${r.data.split.train}/${r.data.split.valid}/${r.data.split.test}, ECFP4 1024 bits (${r.data.cached ? 'from cache' : `featurized in ${r.data.featurizeSeconds.toFixed(2)} s`})</p>
<h2>Results</h2>
${table}
${verdict}
<h2>Training curves</h2>
${loss}
<h2>Searches</h2>
${searchBlocks}
<h2>Timings</h2>
<table><tbody>
<tr><td>random forest (${r.forest.runs.length} fits)</td><td class="num">${r.seconds.forest.toFixed(1)} s</td></tr>
<tr><td>network, book's defaults (${r.network.runs.length} runs; ${f3(mean(r.network.runs.map((x) => x.seconds.perEpoch)))} s per epoch)</td><td class="num">${r.seconds.network.toFixed(1)} s</td></tr>
<tr><td>searches</td><td class="num">${r.seconds.search.toFixed(1)} s</td></tr>
<tr><td>total</td><td class="num">${r.seconds.total.toFixed(1)} s</td></tr>
</tbody></table>
<p class="meta">Protocol: the book's <code>eval_tox21_hyperparams</code> — N(0, 1) initialisation, loss Σ w·sigmoid-cross-entropy per batch, Adam, batches in file order, ŷ = round(σ(logit)) — except where a configuration says mode=modern (He initialisation, mean loss, shuffled batches); weighted accuracy as scikit-learn's <code>accuracy_score(y, ŷ, sample_weight=w)</code>. Hidden layers stack (the book's loop fed each from the input). The forest follows the book: all training rows, missing labels as negatives, no sample weights.</p>
</body></html>
`;
}
