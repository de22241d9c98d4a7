/**
 * The verdict across model families (src/tox21/verdict.ts) as the study shows it: a table of the models (ROC-AUC
 * and weighted accuracy, validation and test, mean ± sd over seeds), the family comparisons in words, and with
 * several tasks a per-task table for each split and metric (tasks as rows, models as columns, the best of a row in
 * bold). The same content comes as HTML for the report (every name escaped: task and trial names come from files)
 * and as lines for the terminal, so the two never disagree.
 */
import type { FamilyComparison, Verdict, VerdictModel, VerdictScores } from '../tox21/verdict.ts';

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${f3(Math.abs(v))}`;
const pmOf = (s: VerdictScores, k: 'auc' | 'wacc') => (s.sd ? `${f3(s[k])} ± ${f3(s.sd[k])}` : f3(s[k]));

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const KIND_WORDS: Record<VerdictModel['kind'], string> = {
  forest: 'forest', network: 'network', 'seed-ensemble': 'seed ensemble', 'ensemble-networks': 'ensemble of networks', 'ensemble-all': 'ensemble of networks + forests',
};
const FAMILY_WORDS: Record<FamilyComparison['ranking'][number]['family'], string> = { forest: 'the forests', network: 'the networks', blend: 'the blend of networks and forests' };
const METRIC_WORDS = { auc: 'ROC-AUC', wacc: 'weighted accuracy' } as const;
const SPLIT_WORDS = { valid: 'validation', test: 'test' } as const;

export const VERDICT_HEAD = ['model', 'kind', 'seeds', 'valid AUC', 'valid w-acc', 'test AUC', 'test w-acc'];

/** One row per model: name, kind, seeds (or members), and the four scores as mean ± sd. */
export function verdictRows(v: Verdict): string[][] {
  return v.models.map((m) => [m.name, KIND_WORDS[m.kind], seedsText(m), pmOf(m.valid, 'auc'), pmOf(m.valid, 'wacc'), pmOf(m.test, 'auc'), pmOf(m.test, 'wacc')]);
}

function seedsText(m: VerdictModel): string {
  if (m.members) return `${m.members.length} member${m.members.length === 1 ? '' : 's'}`;
  return m.kind === 'seed-ensemble' ? `${m.seeds.length}, averaged` : `${m.seeds.length}`;
}

function scopeText(v: Verdict, scope: string): string {
  return scope === 'mean' ? `mean of the ${v.tasks.length} tasks` : scope;
}

/** Each comparison in one sentence: who wins, by how much, and against the seeds' spread. */
export function verdictSentences(v: Verdict): string[] {
  return v.comparisons.map((c) => {
    const where = `${scopeText(v, c.scope)}, ${SPLIT_WORDS[c.split]} ${METRIC_WORDS[c.metric]}`;
    const [first, second] = c.ranking;
    if (!c.winner) {
      if (first && second && c.margin === 0) return `${where}: ${FAMILY_WORDS[first.family]} and ${FAMILY_WORDS[second.family]} tie at ${f3(first.value)}.`;
      return `${where}: no verdict (${c.note ?? 'no value'}).`;
    }
    const verb = (k: string) => (first.family === 'blend' ? `${k}s` : k);
    if (!second) return `${where}: only ${FAMILY_WORDS[first.family]} ${first.family === 'blend' ? 'has' : 'have'} a value (${first.model}, ${f3(first.value)}).`;
    const spread = c.exceedsSpread === null ? "no seeds' spread to compare with" : `${c.exceedsSpread ? 'more than' : 'within'} twice the seeds' spread (sd ${f3(c.spread)})`;
    // When the blend leads, the book's question (networks or forests?) is not the runner-up's: say it too.
    const book = first.family === 'blend' && Number.isFinite(c.networkMinusForest) ? `; networks − forests ${signed(c.networkMinusForest)}` : '';
    return `${where}: ${FAMILY_WORDS[first.family]} ${verb('win')} — ${first.model} ${f3(first.value)} against ${second.model} ${f3(second.value)}, by ${f3(c.margin)}, ${spread}${book}.`;
  });
}

/** Tasks kept out of a split's means, models the study could not give, and each selected ensemble's members. */
export function verdictNotes(v: Verdict): string[] {
  const notes = v.excluded.map((e) => `${e.task} is kept out of the ${SPLIT_WORDS[e.split]} mean ${METRIC_WORDS[e.metric]}: ${e.reason}.`);
  notes.push(...v.missing.map((m) => `not in the verdict: ${m}.`));
  for (const m of v.models) {
    if (!m.members) continue;
    notes.push(`${m.name}, chosen on ${v.selection.objective} (${v.selection.size} picks${v.selection.bags ? ` in each of ${v.selection.bags} bags of ${Math.round(100 * (v.selection.bagFraction ?? 0.5))} % of the candidates` : ''}${m.aggregator ? `, ${m.aggregator} aggregation` : ''}): ${m.members.map((x) => `${x.name} ×${f3(x.weight)}`).join(', ')}${m.note ? ` (${m.note})` : ''}.`);
  }
  notes.push(`Rule: ${v.rule}.`);
  return notes;
}

export interface PerTaskTable {
  title: string;
  head: string[];
  rows: string[][];
  /** Per row, the column of its best value (-1 when fewer than two models have one). */
  best: number[];
}

/** With several tasks: for each split and metric, tasks as rows (then their mean), models as columns. */
export function perTaskTables(v: Verdict): PerTaskTable[] {
  if (v.tasks.length < 2) return [];
  const head = ['task', ...shortNames(v.models)];
  const out: PerTaskTable[] = [];
  for (const split of ['valid', 'test'] as const) {
    for (const metric of ['auc', 'wacc'] as const) {
      const values = [...v.tasks.map((t) => v.models.map((m) => m.perTask?.[t]?.[split][metric] ?? Number.NaN)), v.models.map((m) => m[split][metric])];
      out.push({
        title: `${SPLIT_WORDS[split]} ${METRIC_WORDS[metric]} per task`,
        head,
        rows: values.map((row, i) => [i < v.tasks.length ? v.tasks[i] : 'mean', ...row.map(f3)]),
        best: values.map((row) => bestColumn(row)),
      });
    }
  }
  return out;
}

/** The column of a row's best value (+1 for the task column); -1 with fewer than two models to compare. */
function bestColumn(row: number[]): number {
  let best = -1;
  row.forEach((x, i) => {
    if (Number.isFinite(x) && (best < 0 || x > row[best])) best = i;
  });
  return best < 0 || row.filter(Number.isFinite).length < 2 ? -1 : best + 1;
}

/** Column labels short enough for a grid: the kind, forests told apart by their tree counts. */
function shortNames(models: VerdictModel[]): string[] {
  return models.map((m) => {
    if (m.kind !== 'forest') return KIND_WORDS[m.kind];
    const trees = /(\d+) trees/.exec(m.name);
    return trees ? `forest ${trees[1]}` : 'forest';
  });
}

// ---- terminal ----

/** Columns before `left` are text (left-aligned), the rest numbers (right-aligned). */
function grid(head: string[], rows: string[][], left = 1): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= left ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The verdict for a terminal: the models' table, the sentences, the notes. */
export function verdictLines(v: Verdict): string[] {
  return [`verdict (${v.task === 'all' ? `${v.tasks.length} tasks` : v.task}):`, ...grid(VERDICT_HEAD, verdictRows(v), 2), '', ...verdictSentences(v), ...verdictNotes(v)];
}

/** The per-task tables for a terminal (none with one task); the best of a row is marked with *. */
export function perTaskLines(v: Verdict): string[] {
  return perTaskTables(v).flatMap((t) => ['', `${t.title}:`, ...grid(t.head, t.rows.map((r, i) => r.map((c, j) => (j === t.best[i] ? `${c}*` : c))))]);
}

// ---- HTML ----

function htmlTable(head: string[], rows: string[][], best?: number[], left = 1): string {
  const cell = (c: string, i: number, b: boolean) => `<td${i >= left ? ' class="num"' : ''}>${b ? `<b>${escapeHtml(c)}</b>` : escapeHtml(c)}</td>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map((r, k) => `<tr>${r.map((c, i) => cell(c, i, best?.[k] === i)).join('')}</tr>`).join('\n')}
</tbody></table>`;
}

/** The verdict's section of the report: the models' table, the sentences and the notes. */
export function verdictHtml(v: Verdict): string {
  const scope = v.task === 'all' ? `the ${v.tasks.length} tasks (means; per task below)` : escapeHtml(v.task);
  return `<h2>Verdict across model families</h2>
<p class="meta">On ${scope}: each family's models scored on validation and test; ensembles chosen on ${escapeHtml(v.selection.objective)} only.</p>
${htmlTable(VERDICT_HEAD, verdictRows(v), undefined, 2)}
<ul class="verdict-sentences">${verdictSentences(v).map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<ul class="meta">${verdictNotes(v).map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`;
}

/** The per-task tables as HTML ('' with one task). */
export function perTaskHtml(v: Verdict): string {
  const tables = perTaskTables(v);
  if (tables.length === 0) return '';
  return `<h2>Per task</h2>\n${tables.map((t) => `<h3>${escapeHtml(t.title)}</h3>\n${htmlTable(t.head, t.rows, t.best)}`).join('\n')}`;
}
