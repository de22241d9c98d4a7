/**
 * `shadergrad tox21 fcn`: the book's `eval_tox21_hyperparams` — train the fully connected network on Tox21 with the
 * given hyperparameters and print train/valid/test weighted accuracy and ROC-AUC, or one JSON object (--json).
 */
import { adapterName } from '../gpu/adapter-info.ts';
import { evalTox21Hyperparams } from '../tox21/eval-hyperparams.ts';
import { parseOptions } from './args.ts';
import { CliError } from './cli-error.ts';
import { backendFor, HYPERPARAM_FLAGS, hyperparamsFrom, loadData, metricsTable, seedOption } from './tox21-shared.ts';

export const usage =
  'tox21 fcn [--data PATH] [--task NR-AR|all] [--hidden 50] [--layers 1] [--lr 0.001] [--keep-prob 0.5] [--epochs 45] [--batch 100] [--weight-positives true] [--mode book|modern] [--seed N] [--backend auto|webgpu|cpu] [--json]';

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, { data: { type: 'string' }, task: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...HYPERPARAM_FLAGS });
  const { h, mode } = hyperparamsFrom(o);
  const seed = seedOption(o.seed);
  const be = await backendFor('tox21 fcn', o.backend);
  const data = await loadData('tox21 fcn', o.data);
  const task = o.task ?? 'NR-AR';
  if (task !== 'all' && !data.dataset.tasks.includes(task)) throw new CliError(`--task must be all or one of ${data.dataset.tasks.join(', ')}; got "${task}"`);
  const progress = !o.json && process.stderr.isTTY;
  const r = await evalTox21Hyperparams(be, data, {
    ...h, task, seed, mode,
    onEpoch: progress ? (e) => process.stderr.write(`\repoch ${e.epoch + 1}/${h.nEpochs}  loss ${e.loss.toFixed(4)}  ${e.seconds.toFixed(2)} s`) : undefined,
  });
  if (progress) process.stderr.write('\n');
  if (o.json) {
    const { tasks, metrics, ...rest } = r;
    const body = tasks ? { tasks: Object.fromEntries(Object.entries(tasks).map(([k, m]) => [k, { metrics: m }])), mean: metrics, metrics } : { metrics };
    process.stdout.write(`${JSON.stringify({ ...rest, ...body, adapter: be.info })}\n`);
  } else {
    const rows = r.tasks ? [...Object.entries(r.tasks).map(([name, metrics]) => ({ name, metrics })), { name: 'mean', metrics: r.metrics }] : [{ name: `fcn ${task}`, metrics: r.metrics }];
    process.stdout.write(metricsTable(rows));
    process.stdout.write(`${r.status === 'failed' ? 'FAILED: the loss became NaN or infinite\n' : ''}` +
      `hidden ${h.nHidden} × ${h.nLayers} layer(s), lr ${h.learningRate}, keep ${h.keepProb}, ${h.nEpochs} epochs of batch ${h.batchSize}, ` +
      `weight positives ${h.weightPositives}, mode ${mode}, seed ${seed}\n` +
      `train ${r.seconds.train.toFixed(1)} s (${r.seconds.perEpoch.toFixed(2)} s/epoch), predict ${r.seconds.predict.toFixed(2)} s on ${adapterName(be.info)}\n`);
  }
  return r.status === 'ok' ? 0 : 1;
}
