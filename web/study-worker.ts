/**
 * The training page's worker: opens the WebGPU device (once), loads the dataset (featurized in a nested Web Worker,
 * kept here), and runs what the page asks — the random forest (trees grown on nested Web Workers), the network
 * (evalTox21Hyperparams, reporting every epoch) and the book's grid search — replying in the CLI's JSON shapes.
 * Running here rather than on the page keeps the page's main thread free to draw while SwiftShader or a GPU computes.
 */
import {
  adapterName, BOOK_FOREST, createBackend, dataReportJson, evalTox21Hyperparams, gridSearch, loadDatasetInWorker, PRESETS, runSearch, runTaskBaseline, serializeError,
  tox21Evaluator, WebTreePool, type Backend, type DatasetSummary, type DataSplit, type FcnHyperparams, type MoleculeDataset, type TaskBaseline, type TrialParams,
} from '../src/browser/index.ts';
import { fcnJson, gridJson, rfJson } from './cli-json.ts';
import type { FcnSettings, StudyReply, StudyRequest } from './study-protocol.ts';

let backend: Promise<Backend> | null = null;
let data: { dataset: MoleculeDataset; split: DataSplit; summary: DatasetSummary } | null = null;
let pool: WebTreePool | null = null;

const reply = (m: StudyReply) => self.postMessage(m);

/** The book's grid: the chapter's first search (PRESETS.simple). */
const GRID_PRESET = 'simple';

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
        return reply({ id: req.id, type: 'fcn-result', json: fcnJson(r, be.info, dataReportJson(needData().summary)) });
      }
      case 'grid': {
        const be = await gpu();
        const s = req.settings;
        const space = PRESETS[GRID_PRESET];
        // The form's values are the base; the grid's own parameters override them, as `tox21 search` does.
        const base: Partial<FcnHyperparams> = Object.fromEntries(Object.entries(hyperparams(s)).filter(([k]) => !(k in space)));
        const strategy = gridSearch(space);
        // Every configuration × seed of the grid in one batch: runs sharing a step's shape train as one population,
        // and each epoch reports every model's loss (one curve per model on the page).
        const result = await runSearch({
          strategy,
          reps: req.reps,
          seed0: s.seed,
          batch: strategy.total,
          evaluate: tox21Evaluator(be, needData(), s.task, base, {
            onEpoch: (e) => reply({
              id: req.id, type: 'models-epoch', epoch: e.epoch,
              models: e.models.map((m) => ({ label: curveLabel(e.runs[m].params, e.runs[m].seed), loss: e.loss[m] })),
            }),
          }),
          onTrial: (t, done) => reply({ id: req.id, type: 'trial', done, total: strategy.total, params: t.params, valid: t.valid.mean }),
        });
        return reply({ id: req.id, type: 'grid-result', json: gridJson(GRID_PRESET, s.task, req.reps, base, result, be.info, dataReportJson(needData().summary)) });
      }
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
  return rfJson(s.task, sizes, results, { nEstimators: s.trees, maxFeatures: forest.maxFeatures ?? 'sqrt', classWeight: forest.classWeight ?? null }, s.seed, pool.size, dataReportJson(needData().summary));
}
