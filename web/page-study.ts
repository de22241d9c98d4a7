/**
 * The page's adaptive study, run in the study worker: `tox21 search --study NAME` with the page's IndexedDB as the
 * store. The same pieces as the CLI, put together the same way — the spec (searchStudySpec, with the data's
 * identity), the sampler and pruner (createSampler, createPruner), the stored search (runStoredSearch) over Tox21
 * populations (runTox21Search) — so the study can be exported and resumed by CLI workers, and a reloaded page
 * resumes it: finished trials are kept, and the trials the previous page left running (its Web Lock is gone) go back
 * to waiting and are trained first.
 */
import {
  baseOutside, bestTrial, createPruner, createSampler, IndexedDbStore, pageWorker, parseSpaceText, runStoredSearch, runTox21Search, searchJson, searchMaxEpochs, searchStudySpec,
  SPACE_ALIASES, studyExportJson, studyIdentity, TRIAL_STATES, backendReport, dataReportJson,
  type Backend, type DatasetSummary, type DataSplit, type FcnHyperparams, type MoleculeDataset, type Objective, type StudyExport, type StudyStore, type TrainingMode,
} from '../src/browser/index.ts';
import type { SearchStudySettings, StoredStudyInfo, StudyReply } from './study-protocol.ts';

/** The IndexedDB database the page's studies live in. */
export const PAGE_DATABASE = 'shadergrad';

/** Sends a progress reply for the page's request (the caller adds its id). */
type Post = (m: Omit<Extract<StudyReply, { type: 'study-trials' }>, 'id'> | Omit<Extract<StudyReply, { type: 'study-trial' }>, 'id'>) => void;

export interface PageStudyOptions extends SearchStudySettings {
  task: string;
  seed0: number;
  mode: TrainingMode;
  /** The form's hyperparameters: those the space does not set are the base (as the grid's). */
  hyperparams: FcnHyperparams;
}

let store: Promise<StudyStore> | null = null;
let me: ReturnType<typeof pageWorker> | null = null;

function pageStore(): Promise<StudyStore> {
  store ??= IndexedDbStore.open(PAGE_DATABASE);
  return store;
}

/** Charts are redrawn from the store at most this often while trials train (and once after each trial ends). */
const REDRAW_MS = 400;

export async function runPageStudy(
  be: Backend, data: { dataset: MoleculeDataset; split: DataSplit; summary: DatasetSummary }, o: PageStudyOptions, post: Post,
): Promise<{ json: ReturnType<typeof searchJson>; resumed: number; requeued: number[] }> {
  const space = parseSpaceText(o.space, { aliases: SPACE_ALIASES });
  const base = baseOutside(o.hyperparams, space);
  const objective: Objective = { name: o.objective, direction: 'maximize' };
  const spec = searchStudySpec({
    name: o.name, space, objective, reps: o.reps, nTrials: o.nTrials, sampler: o.sampler, pruner: o.pruner, seed0: o.seed0,
    base, mode: o.mode, identity: studyIdentity(data.dataset, data.summary, o.task),
  });
  const pruner = createPruner(o.pruner, { maxEpochs: searchMaxEpochs(space, base), minEpochs: 1, reductionFactor: undefined });
  const sampler = createSampler(o.sampler, { seed: o.seed0 + 1 });
  const db = await pageStore();
  me ??= pageWorker();
  const worker = await me;
  const { study } = await db.getOrCreateStudy(spec);
  const resumed = (await db.trials(study)).length;
  const requeued: number[] = [];
  const attempts = new Map<number, number>();

  let last = 0;
  let drawing: Promise<void> | null = null;
  const redraw = (now: boolean) => {
    if (drawing || (!now && performance.now() - last < REDRAW_MS)) return;
    last = performance.now();
    drawing = db.trials(study).then((trials) => post({ type: 'study-trials', trials, space, objective })).finally(() => (drawing = null));
  };
  redraw(true);

  const t0 = performance.now();
  const seeds = Array.from({ length: o.reps }, (_, i) => o.seed0 + i);
  const search = { space, sampler, pruner, objective, reps: o.reps, seed0: o.seed0, nTrials: o.nTrials, task: o.task, base, mode: o.mode, population: o.population };
  const r = await runStoredSearch({
    store: db, study, worker: worker.name, isDead: worker.isDead, space, sampler, objective, nTrials: o.nTrials, seeds, pollMs: 500,
    onReap: (x) => requeued.push(...x.retried),
    run: (initialTrials, sink, source, secondsLeft) => runTox21Search(be, data, {
      ...search, source, initialTrials, sink, timeoutSeconds: secondsLeft,
      onEvent: (e) => {
        if (e.kind === 'trial-started') {
          attempts.set(e.trial.id, (attempts.get(e.trial.id) ?? 0) + 1);
          post({ type: 'study-trial', event: 'started', trialId: e.trial.id, state: e.trial.state, attempt: attempts.get(e.trial.id)! });
        } else if (e.kind === 'trial-finished') {
          post({ type: 'study-trial', event: 'finished', trialId: e.trial.id, state: e.trial.state, attempt: attempts.get(e.trial.id) ?? 0 });
          redraw(true);
        } else if (e.kind === 'trial-epoch') redraw(false);
      },
    }),
  });
  await drawing;
  post({ type: 'study-trials', trials: r.trials, space, objective });
  const json = searchJson({
    space: o.space, sampler: o.sampler, pruner: o.pruner, objective, task: o.task, reps: o.reps, base, seconds: (performance.now() - t0) / 1000,
    population: r.population, stopped: r.stopped, study: { name: study.name, storage: db.url }, trials: r.trials, best: bestTrial(r.trials, objective),
    adapter: be.info, backend: backendReport(be), data: dataReportJson(data.summary),
  });
  return { json, resumed, requeued };
}

/** The study as `shadergrad study export NAME --format json` writes it. */
export async function exportPageStudy(name: string): Promise<StudyExport> {
  const db = await pageStore();
  const study = await db.loadStudy(name);
  return studyExportJson(study, await db.trialRows(study), db.url);
}

export async function listPageStudies(): Promise<{ storage: string; studies: StoredStudyInfo[] }> {
  const db = await pageStore();
  const studies = (await db.listStudies()).map((s) => ({
    name: s.name, counts: s.counts, trials: TRIAL_STATES.reduce((n, k) => n + s.counts[k], 0), nTrials: s.spec.nTrials ?? null, best: s.best,
  }));
  return { storage: db.url, studies };
}
