/**
 * The results table — the same columns as the CLI's table (train/valid/test weighted accuracy and ROC-AUC), one row
 * per run — and the JSON the CLI would print. Each cell keeps the full-precision value in `data-value`, so tests and
 * anyone copying numbers get more than the three decimals shown.
 */
import type { SplitName, SplitScores } from '../src/browser/index.ts';

const SPLITS: SplitName[] = ['train', 'valid', 'test'];

export interface ResultRow {
  model: 'rf' | 'fcn' | 'grid';
  label: string;
  metrics: Record<SplitName, SplitScores>;
  seconds: number;
  status?: string;
}

export function addResultRow(tbody: HTMLTableSectionElement, row: ResultRow): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.model = row.model;
  const cell = (text: string, value?: number) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (value !== undefined) {
      td.dataset.value = String(value);
      td.className = 'num';
    }
    tr.append(td);
    return td;
  };
  cell(row.model);
  cell(row.label);
  for (const s of SPLITS) {
    const m = row.metrics[s];
    cell(fmt(m.weightedAccuracy), m.weightedAccuracy).dataset.metric = `${s}-wacc`;
    cell(fmt(m.rocAuc), m.rocAuc).dataset.metric = `${s}-auc`;
  }
  cell(`${row.seconds.toFixed(1)} s${row.status && row.status !== 'ok' ? ` (${row.status})` : ''}`);
  tbody.prepend(tr);
  return tr;
}

export function showJson(pre: HTMLElement, value: unknown): void {
  pre.textContent = JSON.stringify(value, null, 2);
}

export function fmt(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3);
}
