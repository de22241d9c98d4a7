/**
 * `shadergrad tox21 fcn`: the book's `eval_tox21_hyperparams` — train the fully connected network on Tox21 (or any
 * molecule CSV laid out like it, on the index, random or scaffold split) with the given hyperparameters and print
 * train/valid/test weighted accuracy and ROC-AUC and what the data load used and set aside, or one JSON object
 * (--json; the same under `data`). A network too large for the backend is refused before anything is allocated.
 */
import { totalmem } from 'node:os';
import type { Backend } from '../backend/backend.ts';
import { adapterName } from '../gpu/adapter-info.ts';
import { backendLimits, checkNetworkFits } from '../nn/memory.ts';
import type { FcnHyperparams } from '../tox21/hyperparams.ts';
import { evalTox21Hyperparams } from '../tox21/eval-hyperparams.ts';
import { fcnJson } from '../report/results-json.ts';
import { parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';
import {
  backendFor, backendJson, checkTask, DATA_FLAGS, DATA_USAGE, dataJson, dataOptionsFrom, dataText, HYPERPARAM_FLAGS, hyperparamsFrom, loadData, metricsTable, seedOption,
} from './tox21-shared.ts';
import { checkTaskHasPositives } from '../tox21/class-balance.ts';
import { checkSpaceFits } from '../tox21/options-check.ts';
import { ECFP4_1024 } from '../data/ecfp.ts';

export const usage =
  `tox21 fcn ${DATA_USAGE} [--task NR-AR|all] [--hidden 50] [--layers 1] [--lr 0.001] [--keep-prob 0.5] [--epochs 45] [--batch 100] [--weight-positives true] [--mode book|modern] [--init book|he|deepchem] [--weight-decay 0] [--early-stopping false] [--seed N] [--backend auto|webgpu|cpu] [--json]`;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, { ...DATA_FLAGS, task: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...HYPERPARAM_FLAGS });
  const { h, mode } = hyperparamsFrom(o);
  const seed = seedOption(o.seed);
  const dataOpts = dataOptionsFrom(o);
  checkSpaceFits(null, {}, h, { inputs: ECFP4_1024.nBits, rows: Infinity }, `--hidden ${h.nHidden} --layers ${h.nLayers}`); // before a backend is timed on it
  const be = await backendFor('tox21 fcn', o.backend, { hidden: h.nHidden, layers: h.nLayers, batch: h.batchSize, outputs: o.task === 'all' ? 12 : 1 });
  const data = await loadData('tox21 fcn', dataOpts);
  const task = o.task ?? 'NR-AR';
  checkTask(task, data.report, true);
  if (task !== 'all') checkTaskHasPositives(data, task);
  checkFits(be, h, data.dataset.features.nBits, task === 'all' ? data.dataset.tasks.length : 1);
  const progress = !o.json && process.stderr.isTTY;
  const r = await evalTox21Hyperparams(be, data, {
    ...h, task, seed, mode,
    onEpoch: progress ? (e) => process.stderr.write(`\repoch ${e.epoch + 1}/${h.nEpochs}  loss ${e.loss.toFixed(4)}  ${e.seconds.toFixed(2)} s`) : undefined,
  });
  if (progress) process.stderr.write('\n');
  if (o.json) {
    process.stdout.write(`${JSON.stringify(fcnJson(r, { adapter: be.info, backend: backendJson(be), data: dataJson(data.report) }))}\n`);
  } else {
    const rows = r.tasks ? [...Object.entries(r.tasks).map(([name, metrics]) => ({ name, metrics })), { name: 'mean', metrics: r.metrics }] : [{ name: `fcn ${task}`, metrics: r.metrics }];
    process.stdout.write(metricsTable(rows));
    process.stdout.write(`${r.status === 'failed' ? 'FAILED: the loss became NaN or infinite\n' : ''}` +
      `hidden ${h.nHidden} × ${h.nLayers} layer(s), lr ${h.learningRate}, keep ${h.keepProb}, ${h.nEpochs} epochs of batch ${h.batchSize}, ` +
      `weight positives ${h.weightPositives}, mode ${mode}${h.init ? `, init ${h.init}` : ''}${h.weightDecay ? `, weight decay ${h.weightDecay}` : ''}` +
      `${h.earlyStopping ? `, early stopping (kept epoch ${r.bestEpoch} of ${h.nEpochs}, best mean valid ROC-AUC)` : ''}, seed ${seed}\n` +
      `train ${r.seconds.train.toFixed(1)} s (${r.seconds.perEpoch.toFixed(2)} s/epoch), predict ${r.seconds.predict.toFixed(2)} s on ${adapterName(be.info)}\n`);
    process.stdout.write(dataText(data.report));
  }
  return r.status === 'ok' ? 0 : 1;
}

/**
 * The network's buffers against the backend's largest buffer, and the whole against the host's memory where the
 * backend computes in it (the CPU backend, a software adapter); a refusal is a usage error naming the sizes.
 */
function checkFits(be: Backend, h: FcnHyperparams, inputs: number, outputs: number): void {
  const hostMemory = be.kind === 'cpu' || be.info.software;
  const limits = backendLimits(be, hostMemory ? totalmem() : Infinity, hostMemory ? "this machine's memory" : undefined);
  try {
    checkNetworkFits(be, { inputs, hidden: h.nHidden, layers: h.nLayers, outputs, batch: h.batchSize }, limits);
  } catch (e) {
    if (e instanceof RangeError) throw new CliError(`--hidden ${h.nHidden} --layers ${h.nLayers} --batch ${h.batchSize}: ${e.message}`);
    throw e;
  }
}
