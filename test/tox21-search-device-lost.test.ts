// The Tox21 search on a GPU device that is lost mid-epoch (device.destroy() on SwiftShader): the trials training
// then fail with the reason, the next pool is made on a new device (renewIfLost in runTox21Search's makePool), the
// later trials get the values a search that never lost its device gives them, and the result names the backend to
// go on with. When no new device can be had the search ends with the DeviceLostError (the runner does not fail
// every later trial with it), which the CLI prints as one line with a resume hint.
import { describe, expect, it } from 'vitest';
import { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { NoAdapterError } from '../src/gpu/device.ts';
import { isDeviceLost } from '../src/gpu/errors.ts';
import type { StudyEvent } from '../src/hpo/runner.ts';
import { GridSampler } from '../src/hpo/samplers/grid.ts';
import type { FcnHyperparams } from '../src/tox21/hyperparams.ts';
import { runTox21Search } from '../src/tox21/search.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

const data = syntheticMolecules(90, 32, 2, 5);
const base: Partial<FcnHyperparams> = { nHidden: 6, nLayers: 1, nEpochs: 3, batchSize: 30, keepProb: 0.9 };
const space = { learningRate: { kind: 'choice' as const, values: [1e-3, 2e-3, 3e-3, 4e-3] } };

function search(be: WebGpuBackend, onEvent?: (e: StudyEvent) => void, rates = space.learningRate.values) {
  return runTox21Search(be, data, {
    space: { learningRate: { kind: 'choice', values: rates } }, sampler: new GridSampler(), objective: { name: 'valid-auc', direction: 'maximize' }, reps: 1, seed0: 0,
    task: 'all', base, mode: 'modern', population: 2, onEvent,
  });
}

describe('a Tox21 search whose device is lost', () => {
  it('fails the trials training then, goes on on a new device, and returns it', async () => {
    const first = await WebGpuBackend.create();
    const r = await search(first, (e) => {
      if (e.kind === 'trial-epoch' && e.trial.id === 0 && e.epoch === 1) first.rt.device.destroy();
    });
    expect(r.trials.map((t) => t.state)).toEqual(['failed', 'failed', 'complete', 'complete']);
    for (const t of r.trials.slice(0, 2)) expect(t.reason).toMatch(/^the GPU device was lost \(destroyed/);
    expect(r.backend).not.toBe(first);
    expect(first.rt.loss?.reason).toBe('destroyed');
    // The same two configurations in a fresh pool on a device that lives (a population's batch order follows its
    // own epochs, so the reference starts them at epoch 0 as the new pool did): the same values, to the bit.
    const reference = await search(await WebGpuBackend.create(), undefined, [3e-3, 4e-3]);
    expect(reference.trials.every((t) => t.state === 'complete')).toBe(true);
    expect(r.trials.slice(2).map((t) => t.values)).toEqual(reference.trials.map((t) => t.values));
    expect(r.trials.slice(2).map((t) => t.detail!.predictions)).toEqual(reference.trials.map((t) => t.detail!.predictions));
    r.backend.dispose();
    reference.backend.dispose();
  });

  it('ends with the DeviceLostError when no new device can be had', async () => {
    const be = await WebGpuBackend.create();
    be.recreate = async () => {
      throw new NoAdapterError('no WebGPU adapter found (tried the system Vulkan drivers)');
    };
    const e = await search(be, (ev) => {
      if (ev.kind === 'trial-epoch' && ev.trial.id === 0 && ev.epoch === 1) be.rt.device.destroy();
    }).catch((x: unknown) => x);
    expect(isDeviceLost(e)).toBe(true);
    expect((e as Error).message).toMatch(/no new device could be had: no WebGPU adapter found/);
  });
});
