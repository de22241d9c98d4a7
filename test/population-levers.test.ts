// The levers in a population: the shape's initialiser (DeepChem's: hidden biases 1) and each member's L2 weight
// decay reach the network and the optimizer — through construction, a slot's replacement and a repack — and a member
// with weight decay is its solo run, bit for bit on the CPU in float64, and differs from the same member without it.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { groupShape, shapeKey, Tox21Population, type GroupShape, type MemberSpec } from '../src/tox21/population.ts';
import { withDefaults } from '../src/tox21/eval-hyperparams.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

const data = syntheticMolecules(100, 40, 2, 9);
const shape: GroupShape = { task: 'all', mode: 'modern', nLayers: 2, batchSize: 25, weightPositives: true, init: 'deepchem' };
const A: MemberSpec = { seed: 1, nHidden: 7, learningRate: 1e-2, keepProb: 0.9, nEpochs: 3, weightDecay: 1e-2 };
const B: MemberSpec = { seed: 2, nHidden: 5, learningRate: 3e-3, keepProb: 1, nEpochs: 3 };

async function trained(members: MemberSpec[]) {
  const pop = new Tox21Population(new CpuBackend('f64'), data, shape, members, { dataSeed: 4 });
  await pop.trainer.fit();
  const weights = await Promise.all(members.map((_, m) => pop.net.modelWeights(m)));
  pop.dispose();
  return weights;
}

describe('levers in a population', () => {
  it('init is part of the step shape; DeepChem starts hidden biases at 1; λ per member reaches the optimizer', async () => {
    expect(shapeKey(groupShape(withDefaults({ init: 'deepchem' }), 'modern', 'all'))).not.toBe(shapeKey(groupShape(withDefaults({}), 'modern', 'all')));
    expect(shapeKey(groupShape(withDefaults({ init: 'he' }), 'modern', 'all'))).toBe(shapeKey(groupShape(withDefaults({}), 'modern', 'all')));
    const pop = new Tox21Population(new CpuBackend('f64'), data, shape, [A, B]);
    const w = await pop.net.modelWeights(0);
    expect(Array.from(w[1]).every((b) => b === 1) && Array.from(w[3]).every((b) => b === 1)).toBe(true);
    expect(Array.from(w[5]).every((b) => b === 0)).toBe(true); // the output layer: Glorot, zero bias
    expect(Array.from(pop.opt.weightDecay)).toEqual([1e-2, 0]);
    await pop.trainer.fit();
    pop.replace(1, { ...B, seed: 3, weightDecay: 5e-3 });
    expect(Array.from(pop.opt.weightDecay)).toEqual([1e-2, 5e-3]);
    await pop.repack([1], [{ ...A, seed: 4, weightDecay: 2e-3 }, { ...B, seed: 5 }]);
    expect(Array.from(pop.opt.weightDecay)).toEqual([5e-3, 2e-3, 0]);
    expect(pop.members.map((m) => m.weightDecay ?? 0)).toEqual([5e-3, 2e-3, 0]);
    pop.dispose();
  });

  it('a member with weight decay is its solo run (float64, bit for bit), and not the run without it', async () => {
    const [popA, popB] = await trained([A, B]);
    const [soloA] = await trained([A]);
    const [plainA] = await trained([{ ...A, weightDecay: 0 }]);
    popA.forEach((w, i) => expect(Array.from(w), `parameter ${i}`).toEqual(Array.from(soloA[i])));
    expect(popB.length).toBe(6);
    expect(popA.some((w, i) => w.some((v, j) => v !== plainA[i][j]))).toBe(true);
  });
});
