/**
 * The dashboard's two pages, as self-contained HTML with a small inline script (no framework, nothing fetched but
 * the dashboard's own JSON): the list of studies, and one study as it runs — trial counts, the best trial and its
 * parameters, and the charts the server draws with src/report/trial-charts.ts (the report's own charts). Both poll
 * every `refreshMs` and redraw in place, so a page left open follows a search writing to the store.
 * The body's data-state ("loading", "ready", "error") and data-updates (redraws so far) let tests wait on it.
 */
import { esc } from '../report/svg-charts.ts';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1340px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 18px 0 6px; }
table { border-collapse: collapse; } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
th { background: #f4f4f4; } .muted { color: #777; } #error { color: #b00; white-space: pre-wrap; }
#charts { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; } figcaption { font-weight: 600; margin: 4px 0; }
a { color: #1f5fa8; }`;

function shell(title: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body data-state="loading" data-updates="0">
${body}
<p id="error"></p>
<script>
const refreshMs = __REFRESH__;
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]); }
function num(v) { return typeof v === 'number' && isFinite(v) ? (Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(3) : v.toFixed(4)) : '—'; }
async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store' });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.status + ' ' + r.statusText);
  return body;
}
function loop(step) {
  const tick = async () => {
    try {
      await step();
      document.getElementById('error').textContent = '';
      document.body.dataset.state = 'ready';
      document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
    } catch (e) {
      document.getElementById('error').textContent = e.message;
      document.body.dataset.state = 'error';
    }
    setTimeout(tick, refreshMs);
  };
  tick();
}
${script}
</script></body></html>`;
}

export function studiesPage(storeUrl: string, refreshMs: number): string {
  return shell('shadergrad studies', `<h1>Studies</h1><p class="muted">${esc(storeUrl)} · refreshed every ${refreshMs / 1000} s</p>
<table id="studies"><thead><tr><th>study</th><th>objective</th><th>trials</th><th>best</th><th>last update</th></tr></thead><tbody></tbody></table>`, `
loop(async () => {
  const { studies } = await getJson('/api/studies');
  document.querySelector('#studies tbody').innerHTML = studies.length ? studies.map((s) => '<tr data-study="' + esc(s.name) + '">' +
    '<td><a href="/study/' + encodeURIComponent(s.name) + '">' + esc(s.name) + '</a></td>' +
    '<td>' + esc(s.objective.direction + ' ' + s.objective.name) + '</td>' +
    '<td>' + Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => n + ' ' + k).join(', ') + '</td>' +
    '<td class="best">' + num(s.best) + '</td><td>' + new Date(s.updatedAt).toLocaleString() + '</td></tr>').join('')
    : '<tr><td colspan="5" class="muted">no studies yet</td></tr>';
});`).replace('__REFRESH__', String(refreshMs));
}

export function studyPage(name: string, storeUrl: string, refreshMs: number): string {
  return shell(`${name} · shadergrad study`, `<p><a href="/">← studies</a></p>
<h1>Study <span id="name">${esc(name)}</span></h1>
<p class="muted">${esc(storeUrl)} · refreshed every ${refreshMs / 1000} s · <span id="spec"></span></p>
<p><b>Trials:</b> <span id="trial-count">…</span> <span id="states" class="muted"></span></p>
<h2>Best trial</h2>
<p><b id="best-value">—</b> <span id="best-trial" class="muted"></span></p>
<table id="best-params"><tbody></tbody></table>
<div id="charts"></div>`, `
const name = ${JSON.stringify(name).replace(/</g, '\\u003c')};
let lastVersion = '';
loop(async () => {
  const s = await getJson('/api/study/' + encodeURIComponent(name) + '?summary=1');
  const spec = s.study;
  document.getElementById('spec').textContent = spec.objective.direction + ' ' + spec.objective.name + ', sampler ' + spec.sampler.name + ', pruner ' + spec.pruner.name;
  document.getElementById('trial-count').textContent = s.trials + (spec.nTrials ? ' of ' + spec.nTrials : '');
  document.getElementById('states').textContent = Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => n + ' ' + k).join(', ');
  const b = s.best;
  document.getElementById('best-value').textContent = b ? num(b.value) : '—';
  document.getElementById('best-trial').textContent = b ? 'trial ' + b.id + ' · ' + b.budget + ' epochs · ' + b.seconds.toFixed(1) + ' s' : 'no complete trial yet';
  document.querySelector('#best-params tbody').innerHTML = b ? Object.entries(b.params).map(([k, v]) => '<tr><th>' + esc(k) + '</th><td>' + esc(typeof v === 'number' ? +v.toPrecision(6) : v) + '</td></tr>').join('') : '';
  if (s.version !== lastVersion) {
    const c = await getJson('/api/study/' + encodeURIComponent(name) + '/charts');
    document.getElementById('charts').innerHTML = c.charts.map((x) => '<div class="chart-box" id="chart-' + x.id + '">' + x.svg + '</div>').join('');
    lastVersion = s.version;
  }
});`).replace('__REFRESH__', String(refreshMs));
}
