// How the lean step wires autograd to the kernels: a seed of ones lets the fused loss hand back the gradient it
// computed in its forward pass; parameters in one arena get their gradients written straight into a gradient arena
// (Tensor.gradTarget), so one optimizer dispatch updates them all — and every case where that cannot hold (a parameter
// used twice, a second backward before zeroGrad) falls back to the general path with the same numbers.
import { describe, expect, it } from 'vitest';
import type { Storage } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import * as op from '../src/autograd/ops.ts';
import { keep, tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { PopulationMlp, type PopulationMember } from '../src/nn/population-mlp.ts';
import { ModelOptimizer } from '../src/optim/model-optimizer.ts';
import { gpu, rand } from './helpers/backends.ts';

/** A float64 CPU backend that counts the calls of some kernels. */
class CountingCpu extends CpuBackend {
  calls = { xentBackward: 0, optimModels: 0 };
  override sigmoidXentBackward(...a: Parameters<CpuBackend['sigmoidXentBackward']>): Storage {
    this.calls.xentBackward++;
    return super.sigmoidXentBackward(...a);
  }
  override optimModels(...a: Parameters<CpuBackend['optimModels']>): void {
    this.calls.optimModels++;
    super.optimModels(...a);
  }
}

const members: PopulationMember[] = [{ seed: 1, width: 5, keep: 0.7 }, { seed: 2, width: 3, keep: 1 }, { seed: 3, width: 5, keep: 0.5 }];

function setup(be: CpuBackend) {
  const net = new PopulationMlp(be, { inputs: 6, outputs: 2, nLayers: 1, activation: 'relu', init: 'normal', members });
  const opt = new ModelOptimizer(net.parameters(), members.length, { lr: [0.01, 0.02, 0.005] });
  const x = rand(8 * 6, 3), y = rand(8 * 2, 4).map((v) => (v > 0 ? 1 : 0)), w = rand(8 * 2, 5, 0.5, 2);
  return { net, opt, x, y, w };
}

describe('a seed of ones and the fused loss', () => {
  it('Tensor.full and the default seed are marked; the ones seed skips the backward kernel and gives the same gradients', async () => {
    const be = new CountingCpu('f64');
    expect(Tensor.full(be, [3], 1).fill).toBe(1);
    const logits = rand(3 * 4, 7, -3, 3), z = [1, 0, 0, 1], wt = [1, 2, 0.5, 1];
    const grads: Float64Array[] = [];
    for (const seed of ['full', 'plain'] as const) {
      const x = Tensor.from(be, logits, [3, 4, 1], true);
      const total = Tensor.from(be, [1, 2, 3], [3]);
      const before = be.calls.xentBackward;
      tidy(() => {
        const l = op.sigmoidCrossEntropyModels(x, Tensor.from(be, z, [4, 1]), Tensor.from(be, wt, [4, 1]), 'mean', { total });
        l.backward(seed === 'full' ? Tensor.full(be, [3], 1) : Tensor.from(be, [1, 1, 1], [3]));
      });
      expect(be.calls.xentBackward - before, seed).toBe(seed === 'full' ? 0 : 1);
      grads.push((await x.grad!.data()) as Float64Array);
      const t = await total.data();
      expect(t[0]).toBeGreaterThan(1);
    }
    expect(Array.from(grads[0])).toEqual(Array.from(grads[1]));
  });
});

describe('gradients written into the optimizer\'s arena', () => {
  it('after backward every parameter\'s gradient is its target view, and one optimizer call updates all of them', async () => {
    const be = new CountingCpu('f64');
    const { net, opt, x, y, w } = setup(be);
    net.train(true);
    tidy(() => {
      opt.zeroGrad();
      op.sigmoidCrossEntropyModels(net.forward(Tensor.from(be, x, [8, 6])), Tensor.from(be, y, [8, 2]), Tensor.from(be, w, [8, 2])).backward(Tensor.full(be, [3], 1));
    });
    for (const p of net.parameters()) expect(p.grad!.storage, p.name).toBe(p.gradTarget);
    const c0 = be.calls.optimModels;
    opt.step();
    expect(be.calls.optimModels - c0).toBe(1);
    opt.dispose();
    for (const p of net.parameters()) expect(p.gradTarget).toBeNull();
    net.dispose();
  });

  it('the arena step equals the per-tensor step, bit for bit (float64)', async () => {
    const runs: Float64Array[][] = [];
    for (const arena of [true, false]) {
      const be = new CpuBackend('f64');
      const { net, x, y, w } = setup(be);
      // Without the arena: the same parameters copied into buffers of their own.
      const params = arena ? net.parameters() : await Promise.all(net.parameters().map(async (p) => keep(new Tensor(be, be.upload(await p.data()), p.shape, true, p.name))));
      const opt = new ModelOptimizer(params, members.length, { lr: [0.01, 0.02, 0.005] });
      if (!arena) net.layers.forEach((l, i) => Object.assign(l, { W: params[2 * i], b: params[2 * i + 1] }));
      net.train(true);
      for (let step = 0; step < 3; step++) {
        tidy(() => {
          opt.zeroGrad();
          op.sigmoidCrossEntropyModels(net.forward(Tensor.from(be, x, [8, 6])), Tensor.from(be, y, [8, 2]), Tensor.from(be, w, [8, 2])).backward(Tensor.full(be, [3], 1));
          if (!arena) for (const p of params) expect(p.gradTarget).toBeNull();
          opt.step();
        });
      }
      runs.push((await be.readMany(params.map((p) => p.storage))) as Float64Array[]);
    }
    runs[0].forEach((p, i) => expect(Array.from(p), `parameter ${i}`).toEqual(Array.from(runs[1][i])));
  });

  it('a parameter used twice, or a second backward before zeroGrad, accumulates as without targets', async () => {
    const be = new CpuBackend('f64');
    const a = be.arena([6, 6]);
    const W = Tensor.from(be, rand(6, 1), [1, 2, 3], true);
    be.write(a.views[0], 0, await W.data());
    const Wa = new Tensor(be, a.views[0], [1, 2, 3], true, 'W');
    Wa.gradTarget = a.views[1];
    const x = Tensor.from(be, rand(4 * 2, 2), [4, 2]);
    const loss = (w: Tensor) => op.sum(op.add(op.linear(x, w, null), op.scale(op.linear(x, w, null), 0.5)));
    tidy(() => loss(W).backward());
    tidy(() => loss(Wa).backward());
    const once = Array.from(await W.grad!.data());
    expect(Wa.grad!.storage).not.toBe(Wa.gradTarget);
    expect(Array.from(await Wa.grad!.data())).toEqual(once);
    // Used once but backward twice: the second adds to the first.
    const Wb = new Tensor(be, a.views[0], [1, 2, 3], true, 'W');
    Wb.gradTarget = a.views[1];
    tidy(() => op.sum(op.linear(x, Wb, null)).backward());
    expect(Wb.grad!.storage).toBe(Wb.gradTarget);
    const first = Array.from(await Wb.grad!.data());
    tidy(() => op.sum(op.linear(x, Wb, null)).backward());
    expect(Array.from(await Wb.grad!.data())).toEqual(first.map((v) => 2 * v));
  });

  it('on WebGPU too: the targets are the gradients and one dispatch steps the population', async () => {
    const g = await gpu();
    const net = new PopulationMlp(g, { inputs: 6, outputs: 1, nLayers: 1, activation: 'relu', members });
    const opt = new ModelOptimizer(net.parameters(), members.length, { lr: [0.01, 0.02, 0.005] });
    net.train(true);
    tidy(() => {
      opt.zeroGrad();
      const x = Tensor.from(g, rand(8 * 6, 3), [8, 6]);
      op.sigmoidCrossEntropyModels(net.forward(x), Tensor.from(g, new Float32Array(8).fill(1), [8, 1]), Tensor.from(g, new Float32Array(8).fill(1), [8, 1])).backward(Tensor.full(g, [3], 1));
    });
    for (const p of net.parameters()) expect(p.grad!.storage, p.name).toBe(p.gradTarget);
    g.optimSplitOverride = false;
    const c0 = g.rt.counters.dispatches;
    opt.step();
    expect(g.rt.counters.dispatches - c0).toBe(1);
    g.optimSplitOverride = null;
    opt.dispose();
    net.dispose();
  });
});
