/**
 * `shadergrad study list|show NAME|export NAME --format json|csv|delete NAME|import FILE [--storage URL]`: what a
 * study store holds, without a GPU. list, show, export and delete only read (or delete): they open the store without
 * creating it, so a wrong URL or name writes nothing. import loads an export (a page's study, or another store's)
 * into the store, creating it, so CLI workers can resume the study. Every problem is one line on stderr naming the
 * file, server or study, with exit code 1.
 */
import { parseOptions, choiceOption } from './args.ts';
import { CliError } from './cli-error.ts';
import { storeFailure } from './study-options.ts';
import { paramText } from '../hpo/space.ts';
import { readFileSync } from 'node:fs';
import { openStore } from '../hpo/open-store.ts';
import { importStudy, parseStudyExport, studyExportJson, StudyImportError } from '../hpo/study-export.ts';
import { type OpenOptions, type StudyStore, type TrialRow } from '../hpo/store.ts';
import type { Study } from '../hpo/store-spec.ts';
import { objectiveValue, TRIAL_STATES } from '../hpo/trial.ts';

export const usage = 'study list|show NAME|export NAME --format json|csv|delete NAME|import FILE [--storage sqlite:///file.db|postgresql://user:pass@host/db] [--json]';

/** Opens `--storage` for a command; store problems become one line on stderr and exit code 1. */
export async function openStudyStore(command: string, url: string | undefined, opts: OpenOptions = {}): Promise<StudyStore> {
  try {
    return await openStore(url, opts);
  } catch (e) {
    throw storeFailure(command, e);
  }
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const positional = rest.length > 0 && !rest[0].startsWith('--') ? rest[0] : undefined;
  const flags = positional === undefined ? rest : rest.slice(1);
  const o = parseOptions(flags, { storage: { type: 'string' }, format: { type: 'string' }, json: { type: 'boolean' } });
  const command = `study ${sub ?? ''}`.trim();
  if (!sub || !['list', 'show', 'export', 'delete', 'import'].includes(sub)) throw new CliError(`expected list, show NAME, export NAME, delete NAME or import FILE, got "${sub ?? ''}"`);
  if (sub === 'list' && positional !== undefined) throw new CliError(`study list takes no name, got "${positional}"`);
  if (sub === 'import' && positional === undefined) throw new CliError('study import needs the FILE that `study export NAME --format json` wrote');
  if (sub !== 'list' && positional === undefined) throw new CliError(`study ${sub} needs the study's NAME`);
  const format = sub === 'export' ? choiceOption('format', o.format, ['json', 'csv'] as const, 'json') : undefined;
  if (sub !== 'export' && o.format !== undefined) throw new CliError('--format is an option of study export');
  if (sub === 'import') return importFile(positional!, o.storage, !!o.json);

  const store = await openStudyStore(command, o.storage, { create: false });
  try {
    if (sub === 'list') {
      const studies = await store.listStudies();
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ storage: store.url, studies: studies.map(({ spec, ...s }) => ({ ...s, objective: spec.objective, nTrials: spec.nTrials ?? null })) })}\n`);
      } else if (studies.length === 0) {
        process.stdout.write(`no studies in ${store.url}\n`);
      } else {
        const rows = studies.map((s) => [
          s.name,
          TRIAL_STATES.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k}`).join(', ') || 'no trials',
          s.best === null ? '—' : `${s.best.toFixed(4)} (${s.spec.objective.direction === 'maximize' ? 'max' : 'min'} ${s.spec.objective.name})`,
          new Date(s.updatedAt).toISOString().replace('T', ' ').slice(0, 19),
        ]);
        process.stdout.write(`${store.url}\n${table(['study', 'trials', 'best', 'last update (UTC)'], rows)}`);
      }
      return 0;
    }
    const study = await store.loadStudy(positional!);
    if (sub === 'delete') {
      await store.deleteStudy(study.name);
      process.stdout.write(`deleted study "${study.name}" from ${store.url}\n`);
      return 0;
    }
    const rows = await store.trialRows(study);
    if (sub === 'show') {
      process.stdout.write(o.json ? `${JSON.stringify(studyExportJson(study, rows, store.url))}\n` : showText(study, rows, store.url));
    } else {
      process.stdout.write(format === 'csv' ? exportCsv(study, rows) : `${JSON.stringify(studyExportJson(study, rows, store.url))}\n`);
    }
    return 0;
  } catch (e) {
    throw storeFailure(command, e);
  } finally {
    await store.close();
  }
}

/** `study import FILE`: the file is read and checked whole before the store is opened (and created). */
async function importFile(file: string, storage: string | undefined, json: boolean): Promise<number> {
  let exp: ReturnType<typeof parseStudyExport>;
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new StudyImportError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    exp = parseStudyExport(text, file);
  } catch (e) {
    throw storeFailure('study import', e);
  }
  const store = await openStudyStore('study import', storage);
  try {
    const r = await importStudy(store, exp, file);
    const states = TRIAL_STATES.map((k) => [k, exp.trials.filter((t) => t.state === k).length] as const).filter(([, n]) => n > 0);
    if (json) process.stdout.write(`${JSON.stringify({ storage: store.url, study: r.study.name, trials: r.trials, requeued: r.requeued })}\n`);
    else {
      process.stdout.write(`imported study "${r.study.name}" into ${store.url}: ${r.trials} trials (${states.map(([k, n]) => `${n} ${k}`).join(', ') || 'none'})` +
        `${r.requeued.length ? `; running when exported, now waiting: ${r.requeued.join(', ')}` : ''}\n`);
    }
    return 0;
  } catch (e) {
    throw storeFailure('study import', e);
  } finally {
    await store.close();
  }
}

function showText(study: Study, rows: TrialRow[], url: string): string {
  const s = study.spec;
  const space = Object.entries(s.space).map(([k, p]) => `${k} ${p.kind === 'choice' ? `∈ {${p.values.join(', ')}}` : `${p.kind} [${p.low}, ${p.high}]`}`).join('; ');
  const head = [
    `study "${study.name}" in ${url}, created ${new Date(study.createdAt).toISOString()}`,
    `objective: ${s.objective.direction} ${s.objective.name}; ${s.nTrials ?? '?'} trials of ${s.reps} seed${s.reps > 1 ? 's' : ''}`,
    `sampler: ${s.sampler.name} ${JSON.stringify(s.sampler.options)}; pruner: ${s.pruner.name} ${JSON.stringify(s.pruner.options)}`,
    `space: ${space}`,
    ...(Object.keys(s.extra).length ? [`extra: ${JSON.stringify(s.extra)}`] : []),
  ];
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '—');
  const body = rows.map((r) => [
    String(r.record.id), r.record.state, f(objectiveValue(r.record, s.objective)), String(r.record.budget), r.record.seconds.toFixed(1), String(r.attempts),
    paramText(r.record.params) + (r.record.reason ? `  (${r.record.reason})` : ''),
  ]);
  return `${head.join('\n')}\n${rows.length ? table(['id', 'state', s.objective.name, 'epochs', 'seconds', 'attempts', 'params'], body) : 'no trials yet\n'}`;
}

/** One row per trial: id, state, reason, budget, seconds, attempts, then a column per parameter and per value. */
export function exportCsv(study: Study, rows: TrialRow[]): string {
  const params = [...new Set([...Object.keys(study.spec.space), ...rows.flatMap((r) => Object.keys(r.record.params))])];
  const values = [...new Set(rows.flatMap((r) => Object.keys(r.record.values)))].sort();
  const head = ['id', 'state', 'reason', 'epochs', 'seconds', 'attempts', ...params.map((p) => `params_${p}`), ...values.map((v) => `values_${v}`)];
  const lines = rows.map((r) => [
    r.record.id, r.record.state, r.record.reason ?? '', r.record.budget, r.record.seconds, r.attempts,
    ...params.map((p) => r.record.params[p] ?? ''), ...values.map((v) => r.record.values[v] ?? ''),
  ].map(csvField).join(','));
  return `${[head.map(csvField).join(','), ...lines].join('\n')}\n`;
}

function csvField(v: unknown): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
