// A search that loses its GPU device mid-epoch (device.destroy() on SwiftShader): the trials training at that moment
// fail with the device-lost reason, a new device is made (renewIfLost in makePool) and the search goes on — its later
// trials get exactly the values a search that never lost its device gives them. When no new device can be had,
// renewIfLost says so in one line.
import { describe, expect, it } from 'vitest';
import { sigmoidCrossEntropy } from '../src/autograd/ops.ts';
import { tidy } from '../src/autograd/scope.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import type { Backend } from '../src/backend/backend.ts';
import { renewIfLost } from '../src/backend/create.ts';
import { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { NoAdapterError } from '../src/gpu/device.ts';
import { DeviceLostError, isDeviceLost } from '../src/gpu/errors.ts';
import { runStudySearch } from '../src/hpo/runner.ts';
import { GridSampler } from '../src/hpo/samplers/grid.ts';
import type { MemberEpoch, PoolMember, TrialPool } from '../src/hpo/trial.ts';
import { Mlp } from '../src/nn/mlp.ts';
import { Adam } from '../src/optim/optimizer.ts';
import { rand } from './helpers/backends.ts';

const N = 24, D = 6, STEPS = 4, EPOCHS = 3;
const LOST = /^the GPU device was lost \(destroyed: device\.destroy\(\) was called\); its buffers are gone, make a new backend to go on$/;

/** Members train an Mlp with Adam at their `lr`, STEPS steps an epoch; the value is the epoch's last loss. */
class MlpPool implements TrialPool {
  readonly members: { m: PoolMember; net: Mlp; opt: Adam; epoch: number }[] = [];
  private readonly X: Tensor;
  private readonly y: Tensor;
  private readonly w: Tensor;

  constructor(readonly be: Backend, readonly capacity: number, private readonly onTrainStep: (pool: MlpPool) => void) {
    this.X = Tensor.from(be, rand(N * D, 11), [N, D]);
    this.y = Tensor.from(be, Float32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 1 : 0)), [N, 1]);
    this.w = Tensor.from(be, new Float32Array(N).fill(1), [N, 1]);
  }

  freeSlots(): number {
    return this.capacity - this.members.length;
  }

  accepts(): boolean {
    return true;
  }

  running(): number {
    return this.members.length;
  }

  add(m: PoolMember): void {
    const net = new Mlp(this.be, { inputs: D, nHidden: 8, nLayers: 1, outputs: 1, seed: m.seed }).train();
    this.members.push({ m, net, opt: new Adam(net.parameters(), { lr: Number(m.params.lr) }), epoch: 0 });
  }

  stop(trialId: number): void {
    const i = this.members.findIndex((x) => x.m.trialId === trialId);
    if (i >= 0) this.free(this.members.splice(i, 1)[0]);
  }

  async step(): Promise<MemberEpoch[]> {
    const losses: Tensor[] = [];
    for (const x of this.members) {
      for (let s = 0; s < STEPS; s++) {
        this.onTrainStep(this);
        const loss = tidy(() => {
          x.opt.zeroGrad();
          const l = sigmoidCrossEntropy(x.net.forward(this.X), this.y, this.w, 'mean');
          l.backward();
          x.opt.step();
          return l;
        });
        if (s < STEPS - 1) loss.dispose();
        else losses.push(loss);
      }
    }
    try {
      const values = await this.be.readMany(losses.map((l) => l.storage));
      const out = this.members.map((x, i) => ({ trialId: x.m.trialId, seed: x.m.seed, epoch: ++x.epoch, values: { 'valid-loss': values[i][0] }, done: x.epoch >= x.m.epochs }));
      for (const x of this.members.filter((x) => x.epoch >= x.m.epochs)) this.stop(x.m.trialId);
      return out;
    } finally {
      losses.forEach((l) => l.dispose());
    }
  }

  private free(x: { net: Mlp; opt: Adam }): void {
    x.net.dispose();
    x.opt.dispose();
  }

  dispose(): void {
    this.members.splice(0).forEach((x) => this.free(x));
    [this.X, this.y, this.w].forEach((t) => t.dispose());
  }
}

/** A grid search over six rates, two trials a pool; `lose(pool, trainSteps)` may destroy the device. */
async function search(first: WebGpuBackend, lose: (pool: MlpPool, trainSteps: number) => void) {
  let be: Backend = first;
  let trainSteps = 0;
  const pools: MlpPool[] = [];
  const r = await runStudySearch({
    space: { lr: { kind: 'choice', values: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06] } },
    sampler: new GridSampler(),
    objective: { name: 'valid-loss', direction: 'minimize' },
    epochs: EPOCHS,
    makePool: async () => {
      be = await renewIfLost(be);
      const pool = new MlpPool(be, 2, (p) => lose(p, ++trainSteps));
      pools.push(pool);
      return pool;
    },
  });
  return { r, pools, be };
}

describe('a search whose device is lost', () => {
  it('fails the trials training then with the reason, makes a new device and finishes the rest as if nothing happened', async () => {
    const first = await WebGpuBackend.create();
    // Lost halfway through the second epoch of the first pool: steps recorded, a read about to be asked for.
    const { r, pools, be } = await search(first, (p, n) => {
      if (n === STEPS * 2 + 3) (p.be as WebGpuBackend).rt.device.destroy();
    });
    expect(r.trials.map((t) => t.state)).toEqual(['failed', 'failed', 'complete', 'complete', 'complete', 'complete']);
    for (const t of r.trials.slice(0, 2)) {
      expect(t.reason).toMatch(LOST);
      expect(t.budget).toBe(1); // the epoch before the loss was recorded
    }
    expect(pools[0].be).toBe(first);
    expect(pools.slice(1).every((p) => p.be === be && be !== first)).toBe(true);
    expect(first.rt.loss?.reason).toBe('destroyed');
    expect(() => first.upload([1])).toThrow('the webgpu backend was disposed'); // renewIfLost disposed it

    // The same search on a device that lives: the trials after the loss got the same values, to the bit.
    const reference = await search(await WebGpuBackend.create(), () => {});
    expect(reference.r.trials.every((t) => t.state === 'complete')).toBe(true);
    expect(r.trials.slice(2).map((t) => t.values)).toEqual(reference.r.trials.slice(2).map((t) => t.values));
    be.dispose();
    reference.be.dispose();
  });

  it('when no new device can be had, renewIfLost says so in one line', async () => {
    const be = await WebGpuBackend.create();
    be.recreate = async () => {
      throw new NoAdapterError('no WebGPU adapter found (tried the system Vulkan drivers)');
    };
    expect(await renewIfLost(be)).toBe(be); // alive: the same backend
    be.rt.device.destroy();
    const e = await renewIfLost(be).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeviceLostError);
    expect(isDeviceLost(e)).toBe(true);
    expect((e as Error).message).toBe('the GPU device was lost (destroyed: device.destroy() was called); no new device could be had: no WebGPU adapter found (tried the system Vulkan drivers)');
    be.dispose();
  });
});
