/**
 * The one worker entry that grows forest trees, for Node worker threads (TreePool) and Web Workers (WebTreePool)
 * alike: it keeps the current fit's training set and grows the trees it is sent by index, their arrays moved back
 * rather than copied. Built as tree-worker.js (Node) and tree-worker.browser.js beside the library bundles.
 */
import { serveTasks } from '../workers/serve.ts';
import type { TreeSetup } from './forest-pool.ts';
import { growTree } from './grow.ts';
import type { TreeArrays } from './tree.ts';

let fit: TreeSetup | null = null;

serveTasks<TreeSetup, number, TreeArrays>({
  setup: (plan) => void (fit = plan),
  task: (index) => {
    if (!fit) throw new Error(`asked for tree ${index} before any training set`);
    return growTree(fit.training, fit.params, index);
  },
  transfer: (t) => [t.feature, t.threshold, t.left, t.right, t.value].map((a) => a.buffer as ArrayBuffer),
});
