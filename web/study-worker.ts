/**
 * The training page's worker: opens the WebGPU device (once), loads the dataset (featurized in a nested Web Worker,
 * kept here), and runs what the page asks — the random forest (trees grown on nested Web Workers), the network
 * (evalTox21Hyperparams, reporting every epoch), the book's grid search (the CLI's search engine, runTox21Search),
 * and an adaptive study kept in IndexedDB (`tox21 search --study NAME`: the same stored search, samplers and
 * pruners, on IndexedDbStore; a reload resumes it) — replying in the CLI's JSON shapes.
 * Running here rather than on the page keeps the page's main thread free to draw while SwiftShader or a GPU computes.
 */
import {
  adapterName, baseOutside, BOOK_FOREST, createBackend, dataReportJson, evalTox21Hyperparams, GridSampler, gridPoints, loadDatasetInWorker, PRESETS, runTaskBaseline, runTox21Search,
  backendReport, fcnJson, rfJson, searchJson, serializeError, WebTreePool, type Backend, type DatasetSummary, type DataSplit, type FcnHyperparams, type MoleculeDataset, type Objective, type TaskBaseline, type TrialParams,
} from '../src/browser/index.ts';
import { runPageStudy, listPageStudies, exportPageStudy } from './page-study.ts';
import type { FcnSettings, StudyReply, StudyRequest } from './study-protocol.ts';

let backend: Promise<Backend> | null = null;
let data: { dataset: MoleculeDataset; split: DataSplit; summary: DatasetSummary } | null = null;
let pool: WebTreePool | null = null;

const reply = (m: StudyReply) => self.postMessage(m);

/** The book's grid: the chapter's first search (PRESETS.simple). */
const GRID_PRESET = 'simple';
/** What the grid ranks on, as `tox21 search` does by default. */
const VALID_WACC: Objective = { name: 'valid-wacc', direction: 'maximize' };

self.onmessage = async (ev: MessageEvent<StudyRequest>) => {
  const req = ev.data;
  try {
    switch (req.type) {
      case 'init': {
        backend ??= createBackend({ backend: 'webgpu' });
        try {
          const be = await backend;
          return reply({ id: req.id, type: 'ready', adapter: be.info, adapterName: adapterName(be.info) });
        } catch (e) {
          return reply({ id: req.id, type: 'no-webgpu', error: serializeError(e) });
        }
      }
      case 'load': {
        data = null;
        const loaded = await loadDatasetInWorker(req.bytes, req.file, {
          split: 'index',
          onProgress: (progress) => reply({ id: req.id, type: 'data-progress', progress }),
        });
        data = { dataset: loaded.dataset, split: loaded.split, summary: loaded.summary };
        return reply({ id: req.id, type: 'loaded', summary: loaded.summary, seconds: loaded.seconds, tasks: loaded.dataset.tasks });
      }
      case 'rf':
        return reply({ id: req.id, type: 'rf-result', json: await runForest(req.id, req.settings) });
      case 'fcn': {
        const be = await gpu();
        const s = req.settings;
        const r = await evalTox21Hyperparams(be, needData(), {
          ...hyperparams(s),
          task: s.task,
          seed: s.seed,
          mode: s.mode,
          onEpoch: (epoch) => reply({ id: req.id, type: 'epoch', epoch, nEpochs: s.nEpochs }),
        });
        return reply({ id: req.id, type: 'fcn-result', json: fcnJson(r, { adapter: be.info, backend: backendReport(be), data: dataReportJson(needData().summary) }) });
      }
      case 'grid': {
        const be = await gpu();
        const s = req.settings;
        const space = PRESETS[GRID_PRESET];
        // The form's values are the base; the grid's own parameters override them, as `tox21 search` does.
        const base = baseOutside(hyperparams(s), space);
        const total = gridPoints(space).length;
        const params = new Map<number, TrialParams>();
        let done = 0;
        // The CLI's search engine (tox21 search --preset simple): configurations sharing a step's shape train as one
        // population, and each epoch reports every model's loss (one curve per model on the page).
        const t0 = performance.now();
        const result = await runTox21Search(be, needData(), {
          space, sampler: new GridSampler(), objective: VALID_WACC, reps: req.reps, seed0: s.seed, task: s.task, base,
          onEvent: (e) => {
            if (e.kind === 'trial-started') params.set(e.trial.id, e.trial.params);
            if (e.kind === 'pool-step') {
              const models = e.results.filter((m) => Number.isFinite(m.values.loss));
              reply({ id: req.id, type: 'models-epoch', epoch: Math.max(...models.map((m) => m.epoch)), models: models.map((m) => ({ label: curveLabel(params.get(m.trialId)!, m.seed), loss: m.values.loss })) });
            }
            if (e.kind === 'trial-finished') reply({ id: req.id, type: 'trial', done: ++done, total, params: e.trial.params, valid: e.trial.values[VALID_WACC.name] ?? Number.NaN });
          },
        });
        const json = searchJson({
          space: GRID_PRESET, sampler: 'grid', pruner: 'none', objective: VALID_WACC, task: s.task, reps: req.reps, base, seconds: (performance.now() - t0) / 1000,
          population: result.population, packing: result.packing, stopped: result.stopped, trials: result.trials, best: result.best,
          adapter: be.info, backend: backendReport(be), data: dataReportJson(needData().summary),
        });
        return reply({ id: req.id, type: 'grid-result', json });
      }
      case 'study': {
        const be = await gpu();
        const s = req.settings;
        const r = await runPageStudy(be, needData(), { ...req.study, task: s.task, seed0: s.seed, mode: s.mode, hyperparams: hyperparams(s) }, (m) => reply({ ...m, id: req.id }));
        return reply({ id: req.id, type: 'study-result', ...r });
      }
      case 'study-export':
        return reply({ id: req.id, type: 'study-export', json: await exportPageStudy(req.name) });
      case 'study-list':
        return reply({ id: req.id, type: 'study-list', ...(await listPageStudies()) });
    }
  } catch (e) {
    reply({ id: req.id, type: 'error', error: serializeError(e) });
  }
};

async function gpu(): Promise<Backend> {
  if (!backend) throw new Error('the study worker was not initialized');
  return backend;
}

function needData(): { dataset: MoleculeDataset; split: DataSplit; summary: DatasetSummary } {
  if (!data) throw new Error('no dataset loaded: choose a CSV file first');
  return data;
}

/** A grid run's name on the chart: its configuration and seed. */
function curveLabel(p: TrialParams, seed: number): string {
  return `${p.nHidden}u ${p.nEpochs}ep keep ${p.keepProb} ${p.nLayers}L s${seed}`;
}

function hyperparams(s: FcnSettings): FcnHyperparams {
  const { nHidden, nLayers, learningRate, keepProb, nEpochs, batchSize, weightPositives } = s;
  return { nHidden, nLayers, learningRate, keepProb, nEpochs, batchSize, weightPositives };
}

/** The book's forest on one task or all, as `tox21 rf` runs it. */
async function runForest(id: number, s: { task: string; seed: number; trees: number }) {
  const { dataset, split } = needData();
  pool ??= new WebTreePool();
  const forest = { ...BOOK_FOREST, nEstimators: s.trees, seed: s.seed };
  const tasks = s.task === 'all' ? dataset.tasks : [s.task];
  if (s.task !== 'all' && !dataset.tasks.includes(s.task)) throw new RangeError(`task "${s.task}" is not in this file; it has ${dataset.tasks.join(', ')}`);
  const results: TaskBaseline[] = [];
  for (const task of tasks) {
    pool.onTree = (done, total) => reply({ id, type: 'trees', task, done, total });
    results.push(await runTaskBaseline(dataset, split, task, { forest, labeledOnly: false }, (x, y, o) => pool!.fit(x, y, o)));
  }
  const sizes = { train: split.train.length, valid: split.valid.length, test: split.test.length };
  return rfJson({ task: s.task, split: sizes, results, forest, labeledOnly: false, seed: s.seed, threads: pool.size, data: dataReportJson(needData().summary) });
}
