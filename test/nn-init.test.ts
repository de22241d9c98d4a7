// DeepChem's multitask-classifier initialisation ('deepchem': hidden W ~ N(0, 0.02²), hidden biases 1, output layer
// Glorot-uniform with zero bias) beside the book's and He's, in Mlp and PopulationMlp, and the `init` and
// `weightDecay` hyperparameters with their checks.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { initBias, initWeights, outputLayerInit } from '../src/nn/init.ts';
import { Linear } from '../src/nn/linear.ts';
import { Mlp } from '../src/nn/mlp.ts';
import { PopulationMlp } from '../src/nn/population-mlp.ts';
import { Rng } from '../src/random/rng.ts';
import { withDefaults } from '../src/tox21/eval-hyperparams.ts';
import { BOOK_DEFAULTS, checkHyperparams, initOf } from '../src/tox21/hyperparams.ts';

const be = new CpuBackend('f64');
const moments = (a: ArrayLike<number>) => {
  let s = 0, s2 = 0;
  for (let i = 0; i < a.length; i++) (s += a[i]), (s2 += a[i] * a[i]);
  const mean = s / a.length;
  return { mean, sd: Math.sqrt(s2 / a.length - mean * mean) };
};

describe("DeepChem's initialisation", () => {
  it('draws weights from N(0, 0.02²) and sets biases to 1', () => {
    const w = initWeights('deepchem', 1024, 500, 200_000, new Rng(1));
    const { mean, sd } = moments(w);
    expect(Math.abs(mean)).toBeLessThan(3 * 0.02 / Math.sqrt(w.length));
    expect(sd).toBeGreaterThan(0.0198);
    expect(sd).toBeLessThan(0.0202);
    // Independent of the fan (He's std here would be √(2/1024) = 0.044).
    expect(moments(initWeights('deepchem', 10, 3, 200_000, new Rng(2))).sd).toBeCloseTo(0.02, 3);
    expect(Array.from(initBias('deepchem', 5, new Rng(1)))).toEqual([1, 1, 1, 1, 1]);
    expect(outputLayerInit('deepchem')).toBe('glorot');
    for (const i of ['normal', 'he', 'glorot', undefined] as const) expect(outputLayerInit(i)).toBe(i);
  });

  it('Mlp: hidden layers N(0, 0.02²) with biases 1, the output layer Glorot-uniform with zero bias', async () => {
    const net = new Mlp(be, { inputs: 300, nHidden: 200, nLayers: 2, outputs: 12, init: 'deepchem', seed: 4 });
    const linears = net.layers.filter((l): l is Linear => l instanceof Linear);
    expect(linears.length).toBe(3);
    for (const l of linears.slice(0, 2)) {
      expect(moments(await l.W.data()).sd).toBeCloseTo(0.02, 3);
      expect(Array.from(await l.b.data()).every((v) => v === 1)).toBe(true);
    }
    const out = await linears[2].W.data();
    const lim = Math.sqrt(6 / (200 + 12));
    expect(Math.max(...Array.from(out, Math.abs))).toBeLessThanOrEqual(lim);
    expect(moments(out).sd).toBeCloseTo(lim / Math.sqrt(3), 2); // uniform(−a, a) has sd a/√3
    expect(Array.from(await linears[2].b.data()).every((v) => v === 0)).toBe(true);
    net.dispose();
  });

  it("PopulationMlp: each member is its solo Mlp's draw, padding left at zero", async () => {
    const members = [{ seed: 4, width: 20, keep: 1 }, { seed: 9, width: 13, keep: 1 }];
    const pop = new PopulationMlp(be, { inputs: 30, outputs: 3, nLayers: 2, init: 'deepchem', members });
    for (const [m, member] of members.entries()) {
      const solo = new Mlp(be, { inputs: 30, nHidden: member.width, nLayers: 2, outputs: 3, init: 'deepchem', seed: member.seed });
      const soloLayers = solo.layers.filter((l): l is Linear => l instanceof Linear);
      for (const [l, layer] of pop.layers.entries()) {
        const [, rows, cols] = layer.W.shape;
        const W = (await layer.W.data()).subarray(m * rows * cols, (m + 1) * rows * cols);
        const b = (await layer.b.data()).subarray(m * cols, (m + 1) * cols);
        const sw = await soloLayers[l].W.data(), sb = await soloLayers[l].b.data();
        const fo = sb.length, fi = sw.length / fo;
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) expect(W[r * cols + c]).toBe(r < fi && c < fo ? sw[r * fo + c] : 0);
        }
        for (let c = 0; c < cols; c++) expect(b[c]).toBe(c < fo ? sb[c] : 0);
        expect(sb[0]).toBe(l < 2 ? 1 : 0);
      }
      solo.dispose();
    }
    pop.dispose();
  });
});

describe('the init and weightDecay hyperparameters', () => {
  it("default to today's behaviour: the book's N(0, 1) in book mode, He in modern mode", () => {
    expect(initOf({}, 'book')).toBe('normal');
    expect(initOf({}, 'modern')).toBe('he');
    expect(initOf({ init: 'deepchem' }, 'book')).toBe('deepchem');
    expect(initOf({ init: 'book' }, 'modern')).toBe('normal');
    expect(initOf({ init: 'he' }, 'book')).toBe('he');
    expect(BOOK_DEFAULTS).not.toHaveProperty('init');
    expect(BOOK_DEFAULTS).not.toHaveProperty('weightDecay');
  });

  it('accept widths up to 2,000, batch 50, the three inits and λ ≥ 0; name anything else', () => {
    for (const h of [{ nHidden: 2000 }, { batchSize: 50 }, { init: 'deepchem' as const }, { init: 'he' as const, weightDecay: 0 }, { weightDecay: 1e-4 }]) {
      expect(() => checkHyperparams({ ...BOOK_DEFAULTS, ...h })).not.toThrow();
    }
    expect(() => checkHyperparams({ ...BOOK_DEFAULTS, init: 'xavier' as 'he' })).toThrow('init must be one of book, he, deepchem, got xavier');
    expect(() => checkHyperparams({ ...BOOK_DEFAULTS, weightDecay: -1e-4 })).toThrow('weightDecay must be a finite number ≥ 0, got -0.0001');
    expect(() => checkHyperparams({ ...BOOK_DEFAULTS, weightDecay: Number.NaN })).toThrow('weightDecay must be a finite number ≥ 0, got NaN');
  });

  it('are kept, not dropped, by the Tox21 training (trained with: test/population-levers.test.ts)', () => {
    expect(withDefaults({ init: 'deepchem' })).toMatchObject({ init: 'deepchem' });
    expect(withDefaults({ weightDecay: 1e-4, earlyStopping: true })).toMatchObject({ weightDecay: 1e-4, earlyStopping: true });
    expect(() => withDefaults({ weightDecay: -1 })).toThrow('weightDecay must be a finite number ≥ 0, got -1');
    expect(withDefaults({ nHidden: 2000, batchSize: 50 })).toMatchObject({ nHidden: 2000, batchSize: 50 });
  });
});
