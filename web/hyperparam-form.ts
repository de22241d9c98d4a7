/**
 * The hyperparameter form: its fields carry the book's defaults in index.html (the names are FcnHyperparams' keys),
 * and this reads them back as the settings the study worker takes, checked with the library's own checks so the
 * page rejects what the CLI would reject, with the field named.
 */
import { BOOK_DEFAULTS, checkHyperparams, type FcnHyperparams } from '../src/browser/index.ts';
import type { FcnSettings, RfSettings } from './study-protocol.ts';

export class FormError extends Error {
  override name = 'FormError';
}

export function readSettings(form: HTMLFormElement): { fcn: FcnSettings; rf: RfSettings; reps: number } {
  const field = (name: string) => {
    const el = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
    if (!el) throw new FormError(`the form has no field "${name}"`);
    return el;
  };
  const num = (name: string, integer: boolean) => {
    const raw = field(name).value.trim();
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new FormError(`${name} must be ${integer ? 'an integer' : 'a number'}, got "${raw}"`);
    }
    return v;
  };
  const h: FcnHyperparams = {
    nHidden: num('nHidden', true),
    nLayers: num('nLayers', true),
    learningRate: num('learningRate', false),
    keepProb: num('keepProb', false),
    nEpochs: num('nEpochs', true),
    batchSize: num('batchSize', true),
    weightPositives: (field('weightPositives') as HTMLInputElement).checked,
  };
  try {
    checkHyperparams(h);
  } catch (e) {
    throw new FormError((e as Error).message);
  }
  const seed = num('seed', true);
  if (seed < 0 || seed >= 2 ** 32) throw new FormError(`seed must be an integer in [0, 2^32), got ${seed}`);
  const mode = field('mode').value;
  if (mode !== 'book' && mode !== 'modern') throw new FormError(`mode must be book or modern, got "${mode}"`);
  const task = field('task').value;
  if (!task) throw new FormError('choose a task (load a file first)');
  const trees = num('trees', true);
  if (trees < 1) throw new FormError(`trees must be ≥ 1, got ${trees}`);
  const reps = num('reps', true);
  if (reps < 1) throw new FormError(`repetitions must be ≥ 1, got ${reps}`);
  return { fcn: { ...h, task, seed, mode }, rf: { task, seed, trees }, reps };
}

/** Fills the task menu from the loaded file: its tasks and 'all', keeping the current choice when it still exists. */
export function setTasks(select: HTMLSelectElement, tasks: string[], preferred = 'NR-AR'): void {
  const current = select.value;
  select.replaceChildren(...[...tasks, 'all'].map((t) => new Option(t === 'all' ? 'all (mean over tasks)' : t, t)));
  select.value = tasks.includes(current) || current === 'all' ? current : tasks.includes(preferred) ? preferred : tasks[0];
}

/** The book's defaults, for the reset button and as a check that index.html carries them. */
export const DEFAULTS = { ...BOOK_DEFAULTS, task: 'NR-AR', seed: 0, mode: 'book', trees: 50, reps: 3 } as const;

export function resetForm(form: HTMLFormElement): void {
  for (const [k, v] of Object.entries(DEFAULTS)) {
    const el = form.elements.namedItem(k) as HTMLInputElement | HTMLSelectElement | null;
    if (!el) continue;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = Boolean(v);
    else if (k !== 'task' || [...(el as HTMLSelectElement).options].some((o) => o.value === v)) el.value = String(v);
  }
}
