/**
 * The Tox21 training page: a CSV file or URL → the study worker, which featurizes it in a nested Web Worker (RDKit
 * wasm) and trains the book's random forest (Web Workers for the trees) and network (WebGPU) → live loss chart,
 * per-epoch losses, and a results table with the CLI's JSON beside it. The main thread only reads the file, moves
 * messages and draws; `body[data-state]` says where the page is (starting, no-data, loading, ready, running, done,
 * error).
 */
import { DataFileError, type BrowserDataset, type DatasetProgress } from '../src/browser/index.ts';
import { FormError, readSettings, resetForm, setTasks } from './hyperparam-form.ts';
import { LossChart } from './loss-chart.ts';
import { longTasks, watchLongTasks } from './long-tasks.ts';
import { addResultRow, fmt, showJson } from './results-view.ts';
import { StudyClient } from './study-client.ts';
import { StudyView } from './study-view.ts';

const $ = <T extends HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
};

const els = {
  adapter: $('adapter'),
  banner: $('banner'),
  file: $<HTMLInputElement>('file'),
  urlForm: $<HTMLFormElement>('url-form'),
  url: $<HTMLInputElement>('url'),
  dataProgress: $<HTMLProgressElement>('data-progress'),
  dataStatus: $('data-status'),
  dataSummary: $('data-summary'),
  error: $('error'),
  form: $<HTMLFormElement>('hp'),
  reset: $<HTMLButtonElement>('reset'),
  runBoth: $<HTMLButtonElement>('run-both'),
  runRf: $<HTMLButtonElement>('run-rf'),
  runFcn: $<HTMLButtonElement>('run-fcn'),
  runGrid: $<HTMLButtonElement>('run-grid'),
  runProgress: $<HTMLProgressElement>('run-progress'),
  runStatus: $('run-status'),
  chart: $<HTMLCanvasElement>('loss-chart'),
  epochs: $<HTMLTableElement>('epochs').tBodies[0],
  results: $<HTMLTableElement>('results').tBodies[0],
  jsonRf: $('json-rf'),
  jsonFcn: $('json-fcn'),
  jsonGrid: $('json-grid'),
  gridBox: $('grid-box'),
  grid: $<HTMLTableElement>('grid').tBodies[0],
  responsiveness: $('responsiveness'),
};

type State = 'starting' | 'no-data' | 'loading' | 'ready' | 'running' | 'done' | 'error';
type Loaded = { summary: BrowserDataset['summary']; seconds: BrowserDataset['seconds']; tasks: string[] };
const page = { state: 'starting' as State, webgpu: null as boolean | null, data: null as Loaded | null, busy: false };
const setState = (s: State) => {
  page.state = s;
  document.body.dataset.state = s;
};

// Exposed for people poking at the page in devtools, and for the browser test.
Object.assign(globalThis, { __shadergrad: { page, longTasks } });

const chart = new LossChart(els.chart);
chart.draw();
const study = new StudyClient(new URL('./study-worker.js', import.meta.url));
const studyView = new StudyView({ client: study, run: (body) => void run(({ fcn }) => body(fcn)) }, els.runStatus.closest('section')!, els.chart.closest('.column')!);

const watching = watchLongTasks((all) => {
  const longest = Math.max(...all.map((t) => t.duration));
  els.responsiveness.textContent = `main thread: ${all.length} long task${all.length === 1 ? '' : 's'} (> 50 ms) since load, longest ${longest.toFixed(0)} ms`;
});
if (!watching) els.responsiveness.textContent = 'main thread: this browser does not report long tasks';

// ── WebGPU ────────────────────────────────────────────────────────────────────────────────────────────────────────
void (async () => {
  try {
    const r = await study.request<'ready' | 'no-webgpu'>({ type: 'init' });
    if (r.type === 'ready') {
      page.webgpu = true;
      els.adapter.textContent = r.adapterName;
      els.adapter.title = JSON.stringify(r.adapter, null, 1);
    } else {
      page.webgpu = false;
      els.adapter.textContent = 'none';
      els.banner.hidden = false;
      els.banner.textContent =
        `WebGPU is not available here, so the network cannot train (the random forest still can). ${r.error.message}. ` +
        'Use a recent Chrome or Edge; in Chromium without a GPU, start it with --enable-unsafe-webgpu.';
    }
  } catch (e) {
    page.webgpu = false;
    showError(e);
  }
  if (page.state === 'starting') setState('no-data');
  updateButtons();
})();

// ── Data ──────────────────────────────────────────────────────────────────────────────────────────────────────────
els.file.addEventListener('change', () => {
  const f = els.file.files?.[0];
  if (f) void loadData(f.name, () => f.arrayBuffer());
});

els.urlForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const raw = els.url.value.trim();
  if (!raw) return showError(new Error('enter the URL of a CSV file'));
  const url = new URL(raw, location.href).href;
  void loadData(url, async () => {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`could not fetch ${url}: ${(e as Error).message} (a server on another origin must allow CORS)`);
    }
    if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`);
    return res.arrayBuffer();
  });
});

const PHASES: Record<DatasetProgress['phase'], string> = {
  decode: 'reading the file',
  rdkit: 'starting RDKit (wasm)',
  parse: 'parsing the CSV',
  ecfp: 'ECFP4 fingerprints',
  scaffold: 'Murcko scaffolds',
};

async function loadData(name: string, bytes: () => Promise<ArrayBuffer>): Promise<void> {
  if (page.busy) return;
  page.busy = true;
  clearError();
  setState('loading');
  page.data = null;
  els.dataSummary.hidden = true;
  updateButtons();
  els.dataProgress.hidden = false;
  els.dataProgress.removeAttribute('value');
  els.dataStatus.textContent = `reading ${name}…`;
  try {
    const buffer = await bytes();
    const data = await study.request<'loaded'>({ type: 'load', bytes: buffer, file: name }, (m) => {
      if (m.type !== 'data-progress') return;
      const p = m.progress;
      if (p.total > 0) {
        els.dataProgress.max = p.total;
        els.dataProgress.value = p.done;
      }
      els.dataStatus.textContent = `${PHASES[p.phase]}${p.total > 0 ? ` ${p.done} / ${p.total}` : '…'}`;
    }, [buffer]);
    page.data = data;
    showSummary(data);
    setTasks(els.form.elements.namedItem('task') as HTMLSelectElement, data.tasks);
    (els.form.elements.namedItem('task') as HTMLSelectElement).disabled = false;
    els.dataStatus.textContent = `${name}: ${data.summary.featurized} molecules featurized in ${data.seconds.total.toFixed(1)} s`;
    setState('ready');
    els.runStatus.textContent = 'ready';
  } catch (e) {
    els.dataStatus.textContent = `could not load ${name}`;
    showError(e);
  } finally {
    els.dataProgress.hidden = true;
    page.busy = false;
    updateButtons();
  }
}

function showSummary(d: Loaded): void {
  const s = d.summary;
  const rows: [string, string][] = [
    ['rows', `${s.rows} = ${s.featurized} featurized${s.unsanitized ? ` (${s.unsanitized} without sanitization)` : ''} + ${s.failed} failed`],
    ['tasks', `${d.tasks.length}: ${d.tasks.join(', ')}`],
    ['split', `${s.split.kind}: train ${s.split.train} / valid ${s.split.valid} / test ${s.split.test}`],
    ['features', `ECFP r=${s.featurizer.radius}, ${s.featurizer.nBits} bits, RDKit ${s.featurizer.rdkit}`],
    ['weights', s.weights],
  ];
  for (const f of s.failures.slice(0, 5)) rows.push(['failed', `data row ${f.row} (line ${f.line}): ${f.reason} — "${f.smiles}"`]);
  if (s.failures.length > 5) rows.push(['', `… and ${s.failures.length - 5} more failed rows`]);
  for (const c of s.ignoredColumns) rows.push(['ignored', `column "${c.name}": ${c.reason}`]);
  els.dataSummary.replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
  els.dataSummary.hidden = false;
}

// ── Training ──────────────────────────────────────────────────────────────────────────────────────────────────────
els.reset.addEventListener('click', () => resetForm(els.form));
els.runRf.addEventListener('click', () => void run(async (s) => void (await forest(s))));
els.runFcn.addEventListener('click', () => void run(async (s) => void (await network(s))));
els.runBoth.addEventListener('click', () => void run(async (s) => {
  await forest(s);
  await network(s);
}));
els.runGrid.addEventListener('click', () => void run(grid));

type Settings = ReturnType<typeof readSettings>;

async function run(body: (s: Settings) => Promise<void>): Promise<void> {
  if (page.busy || !page.data) return;
  let settings: Settings;
  try {
    settings = readSettings(els.form);
  } catch (e) {
    return showError(e);
  }
  clearError();
  page.busy = true;
  setState('running');
  updateButtons();
  els.runProgress.hidden = false;
  try {
    await body(settings);
    setState('done');
  } catch (e) {
    els.runStatus.textContent = 'failed';
    showError(e);
  } finally {
    els.runProgress.hidden = true;
    page.busy = false;
    updateButtons();
  }
}

async function forest({ rf }: Settings) {
  els.runStatus.textContent = `random forest on ${rf.task}: starting tree workers…`;
  els.runProgress.removeAttribute('value');
  const r = await study.request<'rf-result'>({ type: 'rf', settings: rf }, (p) => {
    if (p.type !== 'trees') return;
    els.runProgress.max = p.total;
    els.runProgress.value = p.done;
    els.runStatus.textContent = `random forest on ${p.task}: ${p.done} / ${p.total} trees`;
  });
  const j = r.json;
  const metrics = j.metrics ?? j.mean!;
  addResultRow(els.results, { model: 'rf', label: `${j.task} · ${j.hyperparameters.nEstimators} trees · s${j.seed}`, metrics, seconds: j.seconds.fit + j.seconds.predict });
  showJson(els.jsonRf, j);
  els.runStatus.textContent = `random forest: valid weighted accuracy ${fmt(metrics.valid.weightedAccuracy)}, AUC ${fmt(metrics.valid.rocAuc)}`;
  return j;
}

async function network({ fcn }: Settings) {
  if (!page.webgpu) throw new Error('the network needs WebGPU, which this browser does not offer (see the note at the top)');
  els.runStatus.textContent = `network on ${fcn.task}: compiling shaders…`;
  els.runProgress.max = fcn.nEpochs;
  els.runProgress.value = 0;
  els.epochs.replaceChildren();
  const series = chart.add(`network ${fcn.task} seed ${fcn.seed}`);
  const r = await study.request<'fcn-result'>({ type: 'fcn', settings: fcn }, (p) => {
    if (p.type !== 'epoch') return;
    const e = p.epoch;
    chart.push(series, e.loss);
    els.runProgress.value = e.epoch + 1;
    els.runStatus.textContent = `network on ${fcn.task}: epoch ${e.epoch + 1} / ${p.nEpochs}, loss ${e.loss.toFixed(4)}`;
    const tr = els.epochs.insertRow();
    tr.dataset.epoch = String(e.epoch + 1);
    for (const v of [String(e.epoch + 1), e.loss.toFixed(5), e.seconds.toFixed(2)]) tr.insertCell().textContent = v;
  });
  const j = r.json;
  addResultRow(els.results, {
    model: 'fcn',
    label: `${j.task} · ${j.hyperparameters.nHidden}×${j.hyperparameters.nLayers} · ${j.hyperparameters.nEpochs} ep · s${j.seed}`,
    metrics: j.metrics,
    seconds: j.seconds.train + j.seconds.predict,
    status: j.status,
  });
  showJson(els.jsonFcn, j);
  els.runStatus.textContent =
    j.status === 'ok'
      ? `network: valid weighted accuracy ${fmt(j.metrics.valid.weightedAccuracy)}, AUC ${fmt(j.metrics.valid.rocAuc)} (${j.seconds.perEpoch.toFixed(2)} s / epoch)`
      : 'network: the loss became NaN or infinite (try a smaller learning rate)';
  return j;
}

async function grid({ fcn, reps }: Settings) {
  if (!page.webgpu) throw new Error('the grid trains networks, which needs WebGPU (see the note at the top)');
  els.gridBox.hidden = false;
  els.grid.replaceChildren();
  chart.clear();
  els.runProgress.removeAttribute('value');
  els.runStatus.textContent = `the book's grid on ${fcn.task}, ${reps} seed${reps > 1 ? 's' : ''} per configuration: training…`;
  const curves = new Map<string, number>();
  const r = await study.request<'grid-result'>({ type: 'grid', settings: fcn, reps }, (p) => {
    if (p.type === 'models-epoch') {
      // One curve per model of the population, growing as each epoch ends.
      for (const m of p.models) {
        if (!curves.has(m.label)) curves.set(m.label, chart.add(m.label));
        chart.push(curves.get(m.label)!, m.loss);
      }
      return;
    }
    if (p.type !== 'trial') return;
    els.runProgress.max = p.total;
    els.runProgress.value = p.done;
    els.runStatus.textContent = `the book's grid: ${p.done} / ${p.total} configurations`;
    const tr = els.grid.insertRow();
    for (const v of [String(p.done), p.params.nHidden, p.params.nEpochs, p.params.keepProb, p.params.nLayers, fmt(p.valid)]) tr.insertCell().textContent = String(v);
  });
  showJson(els.jsonGrid, r.json);
  const b = r.json.best;
  const objective = r.json.objective.name;
  els.runStatus.textContent = b
    ? `best of the grid: ${Object.entries(b.params).map(([k, v]) => `${k} ${v}`).join(', ')} — valid weighted accuracy ${fmt(b.values[objective])}` +
      `${b.valuesSd?.[objective] !== undefined ? ` ± ${fmt(b.valuesSd[objective])}` : ''}, test ${fmt(b.values['test-wacc'])} (test not used to choose)`
    : 'every configuration of the grid failed';
}

function updateButtons(): void {
  const ready = !page.busy && page.data !== null;
  els.runRf.disabled = !ready;
  els.runBoth.disabled = !ready || page.webgpu !== true;
  els.runFcn.disabled = !ready || page.webgpu !== true;
  els.runGrid.disabled = !ready || page.webgpu !== true;
  studyView.enable(ready && page.webgpu === true);
  els.file.disabled = page.busy;
}

// ── Errors ────────────────────────────────────────────────────────────────────────────────────────────────────────
function showError(e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  els.error.replaceChildren();
  const title = document.createElement('strong');
  if (err instanceof DataFileError) {
    title.textContent = 'Problem in the data file';
    const dl = document.createElement('dl');
    const where: [string, string | number | undefined][] = [['file', err.file], ['line', err.line], ['data row', err.row], ['column', err.column]];
    for (const [k, v] of where) if (v !== undefined) dl.append(Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: String(v) }));
    els.error.append(title, document.createElement('br'), err.message, dl);
    els.error.dataset.kind = 'DataFileError';
  } else {
    title.textContent = err instanceof FormError ? 'Check the form' : err.name === 'Error' ? 'Error' : err.name;
    els.error.append(title, document.createElement('br'), err.message);
    els.error.dataset.kind = err.name;
  }
  els.error.hidden = false;
  setState('error');
  console.error(err);
}

function clearError(): void {
  els.error.hidden = true;
  els.error.replaceChildren();
}
