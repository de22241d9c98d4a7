/**
 * The page's adaptive study: a form for `tox21 search --study NAME` (space, sampler, pruner, trials, objective; the
 * hyperparameter form gives task, seed, mode and the base), the studies kept in this browser's IndexedDB, and the
 * study's charts drawn live — the very charts of the report and the dashboard (studyCharts: optimization history,
 * learning curves, parallel coordinates) — plus the export the CLI imports (`shadergrad study import FILE`). It builds
 * its own DOM, so the page's HTML only hosts it. `body[data-study]` says where the study is (idle, running, done,
 * error) and `__shadergrad.studyLog` lists every trial started and finished in this page's life, for the tests.
 */
import { studyCharts, type StudyExport } from '../src/browser/index.ts';
import { FormError } from './hyperparam-form.ts';
import type { StudyClient } from './study-client.ts';
import type { FcnSettings, SearchStudySettings, StoredStudyInfo } from './study-protocol.ts';

export interface StudyViewHost {
  client: StudyClient;
  /** Runs `body` as the page runs every training (busy flag, state, errors); `fcn` is the hyperparameter form's. */
  run: (body: (fcn: FcnSettings) => Promise<void>) => void;
}

export interface StudyLogEntry {
  event: 'started' | 'finished';
  trialId: number;
  state: string;
  attempt: number;
}

const SAVED = 'shadergrad.study-form';
const FIELDS: [keyof SearchStudySettings, string, string][] = [
  ['name', 'study name', 'tox21-tpe'],
  ['space', 'space (as --space)', 'lr=log:1e-4:1e-2,hidden=30|50|100,keep=0.5:1.0'],
  ['sampler', 'sampler', 'tpe'],
  ['pruner', 'pruner', 'asha'],
  ['nTrials', 'trials', '20'],
  ['reps', 'seeds per trial', '1'],
  ['objective', 'objective', 'valid-wacc'],
  ['population', 'models at once (blank: the adapter’s)', ''],
];
const CHOICES: Partial<Record<keyof SearchStudySettings, string[]>> = {
  sampler: ['tpe', 'random'],
  pruner: ['asha', 'median', 'hyperband', 'none'],
  objective: ['valid-wacc', 'valid-auc'],
};

export class StudyView {
  readonly log: StudyLogEntry[] = [];
  private readonly form: HTMLFormElement;
  private readonly runButton: HTMLButtonElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly stored: HTMLElement;
  private readonly charts: HTMLElement;
  private readonly json: HTMLElement;
  private readonly download: HTMLAnchorElement;

  constructor(private readonly host: StudyViewHost, controls: HTMLElement, chartsColumn: HTMLElement) {
    const section = el('section', { id: 'study-box' });
    section.innerHTML = `<h2>4 · Adaptive search, kept in this browser</h2>
<p class="hint">TPE with pruning on populations, as <code>shadergrad tox21 search --study NAME</code>; trials are stored in IndexedDB, so a
reload resumes the study (load the same file, same settings). Export it and <code>shadergrad study import FILE</code> lets CLI workers go on.</p>`;
    this.form = el('form', { id: 'study-form', className: 'grid-form' });
    this.form.noValidate = true;
    for (const [k, label, value] of FIELDS) {
      const input = CHOICES[k]
        ? Object.assign(el('select', { name: k }), { innerHTML: CHOICES[k]!.map((c) => `<option>${c}</option>`).join('') })
        : el('input', { name: k, type: k === 'nTrials' || k === 'reps' || k === 'population' ? 'number' : 'text' });
      (input as HTMLInputElement).value = value;
      const l = el('label', {});
      l.append(label, input);
      if (k === 'space') l.style.gridColumn = '1 / -1';
      this.form.append(l);
    }
    this.restore();
    this.runButton = el('button', { id: 'run-study', type: 'button', textContent: 'Run / resume study', disabled: true });
    this.exportButton = el('button', { id: 'export-study', type: 'button', className: 'quiet', textContent: 'Export JSON' });
    this.download = el('a', { id: 'download-study', hidden: true, textContent: 'download' });
    const buttons = el('div', { className: 'buttons' });
    buttons.append(this.runButton, this.exportButton, this.download);
    this.status = el('div', { id: 'study-status', className: 'progress-line', textContent: 'no study run in this page yet' });
    this.stored = el('div', { id: 'stored-studies', className: 'hint' });
    section.append(this.form, buttons, this.status, this.stored);
    controls.after(section);

    const box = el('section', { id: 'study-charts-box' });
    box.innerHTML = '<h2>Study</h2>';
    this.charts = el('div', { id: 'study-charts' });
    const details = el('details', {});
    details.innerHTML = '<summary>export, as <code>shadergrad study export NAME --format json</code> writes it</summary>';
    this.json = el('pre', { id: 'json-study', textContent: '—' });
    details.append(this.json);
    box.append(this.charts, details);
    chartsColumn.prepend(box);

    document.body.dataset.study = 'idle';
    const g = globalThis as { __shadergrad?: Record<string, unknown> };
    Object.assign((g.__shadergrad ??= {}), { studyLog: this.log });
    this.runButton.addEventListener('click', () => this.start());
    this.exportButton.addEventListener('click', () => void this.export().catch((e) => this.fail(e)));
    void this.refreshList();
  }

  /** Enabled with data loaded, WebGPU there and nothing else training. */
  enable(on: boolean): void {
    this.runButton.disabled = !on;
  }

  settings(): SearchStudySettings {
    const v = (k: string) => (this.form.elements.namedItem(k) as HTMLInputElement).value.trim();
    const count = (k: string, what: string) => {
      const n = Number(v(k));
      if (!Number.isInteger(n) || n < 1) throw new FormError(`${what} must be a positive integer, got "${v(k)}"`);
      return n;
    };
    if (!v('name')) throw new FormError('give the study a name');
    return {
      name: v('name'), space: v('space'), sampler: v('sampler'), pruner: v('pruner'), nTrials: count('nTrials', 'trials'), reps: count('reps', 'seeds per trial'),
      objective: v('objective') as SearchStudySettings['objective'], ...(v('population') ? { population: count('population', 'models at once') } : {}),
    };
  }

  private start(): void {
    this.host.run(async (fcn) => {
      const study = this.settings();
      localStorage.setItem(SAVED, JSON.stringify(study));
      document.body.dataset.study = 'running';
      this.status.textContent = `study "${study.name}": starting…`;
      let finished = 0;
      try {
        const r = await this.host.client.request<'study-result'>({ type: 'study', settings: fcn, study }, (p) => {
          if (p.type === 'study-trials') return this.draw(p.trials, p.space, p.objective);
          if (p.type !== 'study-trial') return;
          this.log.push({ event: p.event, trialId: p.trialId, state: p.state, attempt: p.attempt });
          if (p.event === 'finished') finished++;
          this.status.textContent = `study "${study.name}": trial ${p.trialId} ${p.event === 'started' ? 'started' : p.state}; ${finished} finished in this page`;
        });
        const j = r.json;
        const best = j.best;
        this.status.textContent = `study "${study.name}": ${j.trials.length} trials (${r.resumed ? `resumed with ${r.resumed} stored` : 'new'}` +
          `${r.requeued.length ? `; retried ${r.requeued.join(', ')}` : ''}); best ${best ? `${best.values[j.objective.name]?.toFixed(4)} (trial ${best.id})` : '—'}`;
        document.body.dataset.study = 'done';
        await this.export();
      } catch (e) {
        document.body.dataset.study = 'error';
        throw e;
      } finally {
        void this.refreshList();
      }
    });
  }

  private draw(trials: Parameters<typeof studyCharts>[0], space: Parameters<typeof studyCharts>[1], objective: Parameters<typeof studyCharts>[2]): void {
    this.charts.innerHTML = studyCharts(trials, space, objective).map((c) => c.svg).join('\n');
    this.charts.dataset.trials = String(trials.length);
  }

  private async export(): Promise<StudyExport> {
    const name = this.settings().name;
    const r = await this.host.client.request<'study-export'>({ type: 'study-export', name });
    const text = JSON.stringify(r.json);
    this.json.textContent = text;
    if (this.download.href) URL.revokeObjectURL(this.download.href);
    this.download.href = URL.createObjectURL(new Blob([`${text}\n`], { type: 'application/json' }));
    this.download.download = `${name}.json`;
    this.download.hidden = false;
    return r.json;
  }

  private async refreshList(): Promise<void> {
    const r = await this.host.client.request<'study-list'>({ type: 'study-list' }).catch(() => null);
    if (!r) return;
    this.stored.replaceChildren(r.studies.length ? `Studies in ${r.storage}: ` : `No studies in ${r.storage} yet.`);
    r.studies.forEach((s: StoredStudyInfo, i) => {
      const a = el('a', { href: '#', textContent: s.name, title: 'use this name' });
      a.dataset.study = s.name;
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        (this.form.elements.namedItem('name') as HTMLInputElement).value = s.name;
      });
      this.stored.append(...(i ? ['; '] : []), a, ` (${s.trials}${s.nTrials ? ` of ${s.nTrials}` : ''} trials${s.best !== null ? `, best ${s.best.toFixed(3)}` : ''})`);
    });
  }

  private restore(): void {
    try {
      const saved = JSON.parse(localStorage.getItem(SAVED) ?? 'null') as Record<string, unknown> | null;
      for (const [k, v] of Object.entries(saved ?? {})) {
        const f = this.form.elements.namedItem(k) as HTMLInputElement | null;
        if (f) f.value = String(v);
      }
    } catch {
      // A damaged saved form is only a convenience lost.
    }
  }

  private fail(e: unknown): void {
    this.status.textContent = `study: ${(e as Error)?.message ?? e}`;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown>): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}
