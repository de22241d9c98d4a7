// Population training: a member of a population is its solo run — bit for bit on the CPU in float64 for each
// per-model hyperparameter (seed, width, learning rate, keep probability, epochs), within 1e-5 on WebGPU with the
// same predictions on a Tox21 slice; a diverging member leaves the others unchanged; padded units get no gradient;
// memory stays flat over 1,000 population steps.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { loadTox21 } from '../src/data/tox21.ts';
import { BitRows } from '../src/autograd/sparse-linear.ts';
import { sigmoidCrossEntropyModels } from '../src/autograd/ops.ts';
import { tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { selectRows } from '../src/data/sparse-bits.ts';
import { Tox21Population, type GroupShape, type MemberSpec, type Tox21Data } from '../src/tox21/population.ts';
import { gpu } from './helpers/backends.ts';
import { writeTox21Slice } from './helpers/cli.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

const MEMBERS: MemberSpec[] = [
  { seed: 11, nHidden: 6, learningRate: 1e-2, keepProb: 0.5, nEpochs: 3 },
  { seed: 12, nHidden: 9, learningRate: 3e-3, keepProb: 1, nEpochs: 2 },
  { seed: 13, nHidden: 4, learningRate: 1e-3, keepProb: 0.7, nEpochs: 4 },
];

async function train(be: Backend, data: Tox21Data, shape: GroupShape, members: MemberSpec[], dataSeed = 5) {
  const pop = new Tox21Population(be, data, shape, members, { dataSeed });
  await pop.trainer.fit();
  const weights = await Promise.all(members.map((_, m) => pop.net.modelWeights(m)));
  const scores = await pop.score();
  const out = { weights, scores, losses: pop.trainer.lossCurves.map((c) => [...c]), status: [...pop.trainer.status], reasons: [...pop.trainer.reasons], pop };
  return out;
}

describe('a population member equals its solo run', () => {
  const data = syntheticMolecules(120, 48, 2, 3);
  it.each([
    ['book', 2, 'T0'],
    ['modern', 1, 'T1'],
    ['modern', 2, 'all'],
  ] as const)('CPU float64, %s mode, %i hidden layers, task %s: bit-identical weights, losses and scores', async (mode, nLayers, task) => {
    const be = new CpuBackend('f64');
    const shape: GroupShape = { task, mode, nLayers, batchSize: 17, weightPositives: true };
    const pop = await train(be, data, shape, MEMBERS);
    for (let m = 0; m < MEMBERS.length; m++) {
      const solo = await train(be, data, shape, [MEMBERS[m]]);
      expect(pop.losses[m], `member ${m} loss curve`).toEqual(solo.losses[0]);
      expect(pop.losses[m].length).toBe(MEMBERS[m].nEpochs);
      pop.weights[m].forEach((w, i) => expect(Array.from(w), `member ${m} parameter ${i}`).toEqual(Array.from(solo.weights[0][i])));
      expect(pop.scores[m]).toEqual(solo.scores[0]);
      solo.pop.dispose();
    }
    pop.pop.dispose();
  });

  it('a diverging member fails with its reason and leaves the others unchanged', async () => {
    const be = new CpuBackend('f64');
    const shape: GroupShape = { task: 'T0', mode: 'book', nLayers: 1, batchSize: 30, weightPositives: true };
    const wild: MemberSpec = { seed: 99, nHidden: 7, learningRate: 1e300, keepProb: 0.9, nEpochs: 4 };
    const withWild = await train(be, data, shape, [MEMBERS[0], wild, MEMBERS[2]]);
    const without = await train(be, data, shape, [MEMBERS[0], MEMBERS[2]]);
    expect(withWild.status).toEqual(['done', 'failed', 'done']);
    expect(withWild.reasons[1]).toMatch(/^loss became (NaN|infinite) at epoch \d$/);
    expect(withWild.losses[0]).toEqual(without.losses[0]);
    expect(withWild.losses[2]).toEqual(without.losses[1]);
    withWild.weights[2].forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(without.weights[1][i])));
    expect(withWild.scores[1].metrics.valid.weightedAccuracy).toBeNaN();
    withWild.pop.dispose();
    without.pop.dispose();
  });

  it('padded hidden units get zero gradient and stay zero', async () => {
    const be = new CpuBackend('f64');
    const shape: GroupShape = { task: 'T0', mode: 'modern', nLayers: 2, batchSize: 40, weightPositives: true };
    const pop = new Tox21Population(be, data, shape, [{ ...MEMBERS[0], nHidden: 3 }, { ...MEMBERS[1], nHidden: 8 }]);
    // One step by hand: the gradients of model 0's padded columns/rows are exactly zero.
    pop.net.train(true);
    const idx = Uint32Array.from({ length: 40 }, (_, i) => i);
    tidy(() => {
      const y = Tensor.from(be, new Float32Array(40).fill(1), [40, 1]);
      const loss = sigmoidCrossEntropyModels(pop.net.forward(BitRows.from(be, selectRows(selectRows(data.dataset.features, data.split.train), idx))), y, y, 'mean');
      loss.backward(Tensor.from(be, [1, 1], [2]));
    });
    const [W1, b1, W2, b2, W3] = pop.net.parameters();
    const grads = await be.readMany([W1.grad!.storage, b1.grad!.storage, W2.grad!.storage, W3.grad!.storage]);
    const H = 8;
    for (let r = 0; r < 48; r++) for (let c = 3; c < H; c++) expect(grads[0][r * H + c]).toBe(0);
    for (let c = 3; c < H; c++) expect(grads[1][c]).toBe(0);
    for (let r = 0; r < H; r++) for (let c = 0; c < H; c++) if (r >= 3 || c >= 3) expect(grads[2][r * H + c]).toBe(0);
    for (let r = 3; r < H; r++) expect(grads[3][r]).toBe(0);
    // And the wider model's gradients are not all zero there.
    expect(grads[0].subarray(48 * H).some((v) => v !== 0)).toBe(true);
    void b2;
    pop.net.train(false);
    pop.opt.zeroGrad();
    await pop.trainer.fit();
    const w = await be.readMany([W1.storage, W2.storage]);
    for (let r = 0; r < 48; r++) for (let c = 3; c < H; c++) expect(w[0][r * H + c]).toBe(0);
    for (let r = 3; r < H; r++) for (let c = 0; c < H; c++) expect(w[1][r * H + c]).toBe(0);
    pop.dispose();
  });
});

describe('on WebGPU', () => {
  let slice: Tox21Data | null = null;
  async function tox21Slice(): Promise<Tox21Data> {
    if (slice) return slice;
    const file = writeTox21Slice(mkdtempSync(join(tmpdir(), 'sg-pop-')), 300);
    const { dataset, split } = await loadTox21({ data: file, split: 'index', noCache: true });
    slice = { dataset, split };
    return slice;
  }

  it('members match their solo runs within 1e-5 and predict the same on a Tox21 slice', async () => {
    const be = await gpu();
    const data = await tox21Slice();
    const shape: GroupShape = { task: 'NR-AR', mode: 'modern', nLayers: 1, batchSize: 50, weightPositives: true };
    const members = MEMBERS.map((m) => ({ ...m, nHidden: m.nHidden * 5 }));
    const pop = await train(be, data, shape, members);
    for (let m = 0; m < members.length; m++) {
      const solo = await train(be, data, shape, [members[m]]);
      pop.weights[m].forEach((w, i) => {
        const s = solo.weights[0][i];
        for (let j = 0; j < w.length; j++) expect(Math.abs(w[j] - s[j]), `member ${m} parameter ${i}[${j}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(s[j])));
      });
      // Identical predictions: the same rounded outputs give the same weighted accuracy on every split.
      for (const s of ['train', 'valid', 'test'] as const) expect(pop.scores[m].metrics[s].weightedAccuracy).toBe(solo.scores[0].metrics[s].weightedAccuracy);
      solo.pop.dispose();
    }
    pop.pop.dispose();
  });

  it('memory stays flat over 1,000 population steps', async () => {
    const be = await gpu();
    const data = syntheticMolecules(400, 64, 1, 9);
    const shape: GroupShape = { task: 'T0', mode: 'modern', nLayers: 2, batchSize: 40, weightPositives: true };
    // 320 training rows / 40 = 8 steps per epoch: 125 epochs = 1,000 steps.
    const pop = new Tox21Population(be, data, shape, MEMBERS.map((m) => ({ ...m, nEpochs: 125 })), { dataSeed: 1 });
    const snapshot = () => {
      be.flush();
      const s = be.rt.pool.stats();
      return { liveBuffers: s.liveBuffers, liveBytes: s.liveBytes };
    };
    await pop.epoch();
    await pop.epoch();
    const early = snapshot();
    while (pop.trainer.running() > 0) await pop.epoch();
    expect(pop.trainer.epochsDone[0]).toBe(125);
    expect(snapshot()).toEqual(early);
    pop.dispose();
  });
});

describe('population size from memory', () => {
  it('splits runs into populations whose largest buffer fits the adapter, and refuses a model that cannot fit', async () => {
    const data = syntheticMolecules(60, 48, 1, 4);
    // An adapter whose largest storage binding holds 3 models' activations for a 1,024-row evaluation batch
    // (1024 × 20 floats each, the largest buffer here), not 4.
    const adapter = (maxStorageBytes: number) => Object.assign(new CpuBackend('f32'), { kind: 'webgpu', rt: { maxStorageBytes } }) as unknown as Backend;
    const be = adapter(3 * 1024 * 20 * 4);
    const h = { nHidden: 20, nLayers: 1, learningRate: 1e-3, keepProb: 0.5, nEpochs: 2, batchSize: 20, weightPositives: true };
    const runs = Array.from({ length: 7 }, (_, seed) => ({ h, mode: 'book' as const, seed, task: 'T0' }));
    const { evalTox21Population, modelsThatFit } = await import('../src/tox21/eval-hyperparams.ts');
    expect(modelsThatFit(be, data.dataset, runs[0], 20)).toBe(3);
    // Software adapters and the CPU backend train one run at a time unless asked: models share no arithmetic there.
    const { defaultPopulation } = await import('../src/tox21/eval-hyperparams.ts');
    expect(defaultPopulation(new CpuBackend('f32'))).toBe(1);
    expect(defaultPopulation(Object.assign(new CpuBackend('f32'), { info: { ...new CpuBackend('f32').info, software: false } }) as unknown as Backend)).toBe(64);
    const results = await evalTox21Population(be, data, runs, { maxModels: 64 });
    expect(results.map((r) => r.population)).toEqual([3, 3, 3, 3, 3, 3, 1]);
    expect(results.map((r) => r.seed)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // The same runs one at a time give the same numbers (book mode: file order, no shared state).
    const solo = await evalTox21Population(be, data, runs, { maxModels: 1 });
    expect(solo.map((r) => r.lossCurve)).toEqual(results.map((r) => r.lossCurve));
    // One model too large: the population refuses before allocating, naming the buffer and the limit.
    await expect(evalTox21Population(adapter(1024), data, runs.slice(0, 1), { maxModels: 64 })).rejects.toThrow(/network too large: .* this adapter's largest storage buffer/);
  });
});
