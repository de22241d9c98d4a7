// Compaction and packing: members that finished leave their population between epochs (its arenas repacked to the
// members that stay, its padding narrowed to the widest of them), and every member that stays is still its solo run —
// bit for bit on the CPU in float64, within 1e-5 on WebGPU; a population grown by repacking takes new members that
// equal their solo runs too; runs are packed by width, and the padded fraction says how much was padding.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { evalTox21Population, type RunSpec } from '../src/tox21/eval-hyperparams.ts';
import { Tox21Population, type GroupShape, type MemberSpec, type Tox21Data } from '../src/tox21/population.ts';
import { Tox21TrialPool } from '../src/tox21/trial-pool.ts';
import { gpu } from './helpers/backends.ts';
import { syntheticMolecules } from './helpers/synthetic-molecules.ts';

const MEMBERS: MemberSpec[] = [
  { seed: 11, nHidden: 6, learningRate: 1e-2, keepProb: 0.5, nEpochs: 3 },
  { seed: 12, nHidden: 9, learningRate: 3e-3, keepProb: 1, nEpochs: 2 },
  { seed: 13, nHidden: 4, learningRate: 1e-3, keepProb: 0.7, nEpochs: 4 },
  { seed: 14, nHidden: 5, learningRate: 2e-3, keepProb: 0.6, nEpochs: 1 },
];

interface Trained {
  weights: Float64Array[][];
  losses: number[][];
  /** Slots of the population after each epoch. */
  sizes: number[];
  widths: number[];
}

/** Trains `members`, compacting after every epoch; each member's weights are read when it leaves (or at the end). */
async function trainCompacting(be: Backend, data: Tox21Data, shape: GroupShape, members: MemberSpec[]): Promise<Trained> {
  const pop = new Tox21Population(be, data, shape, members, { dataSeed: 5 });
  const out: Trained = { weights: new Array(members.length), losses: new Array(members.length), sizes: [], widths: [] };
  let slotMember = members.map((_, i) => i);
  const leave = async (slots: number[]) => {
    for (const m of slots) {
      out.weights[slotMember[m]] = await pop.net.modelWeights(m);
      out.losses[slotMember[m]] = [...pop.trainer.lossCurves[m]];
    }
  };
  while (pop.trainer.running() > 0) {
    await pop.epoch();
    const status = pop.trainer.status;
    const live = status.flatMap((s, m) => (s === 'running' ? [m] : []));
    if (live.length > 0 && live.length < pop.models) {
      await leave(status.flatMap((s, m) => (s === 'running' ? [] : [m])));
      const kept = await pop.trainer.compact();
      expect(kept).toEqual(live);
      slotMember = live.map((m) => slotMember[m]);
    }
    out.sizes.push(pop.models);
    out.widths.push(pop.net.width);
  }
  await leave(pop.members.map((_, m) => m));
  pop.dispose();
  return out;
}

async function solo(be: Backend, data: Tox21Data, shape: GroupShape, member: MemberSpec) {
  const pop = new Tox21Population(be, data, shape, [member], { dataSeed: 5 });
  await pop.trainer.fit();
  const r = { weights: await pop.net.modelWeights(0), losses: [...pop.trainer.lossCurves[0]] };
  pop.dispose();
  return r;
}

describe('compaction', () => {
  const data = syntheticMolecules(120, 48, 2, 3);
  it.each([
    ['book', 2, 'T0'],
    ['modern', 1, 'all'],
  ] as const)('CPU float64, %s mode, %i hidden layers, task %s: members that stay are bit-identical to their solo runs', async (mode, nLayers, task) => {
    const be = new CpuBackend('f64');
    const shape: GroupShape = { task, mode, nLayers, batchSize: 17, weightPositives: true };
    const r = await trainCompacting(be, data, shape, MEMBERS);
    // Later epochs compute only the members still training, padded only to the widest of them.
    expect(r.sizes).toEqual([3, 2, 1, 1]);
    expect(r.widths).toEqual([9, 6, 4, 4]);
    for (let i = 0; i < MEMBERS.length; i++) {
      const s = await solo(be, data, shape, MEMBERS[i]);
      expect(r.losses[i], `member ${i} loss curve`).toEqual(s.losses);
      r.weights[i].forEach((w, k) => expect(Array.from(w), `member ${i} parameter ${k}`).toEqual(Array.from(s.weights[k])));
    }
  });

  it('a population grown by repacking: kept members go on exactly, new ones equal their solo runs', async () => {
    const be = new CpuBackend('f64');
    const shape: GroupShape = { task: 'T0', mode: 'modern', nLayers: 2, batchSize: 23, weightPositives: true };
    const first = [{ ...MEMBERS[0], nEpochs: 3 }, { ...MEMBERS[1], nEpochs: 3 }];
    const late: MemberSpec = { seed: 21, nHidden: 7, learningRate: 4e-3, keepProb: 0.8, nEpochs: 2 };
    const pop = new Tox21Population(be, data, shape, first, { dataSeed: 5 });
    await pop.epoch();
    pop.trainer.stop(0); // pruned: its slot leaves, and a new member joins in a wider population
    await pop.repack([1], [late], 9);
    expect(pop.models).toBe(2);
    expect(pop.members.map((m) => m.seed)).toEqual([12, 21]);
    await pop.trainer.fit();
    const kept = await solo(be, data, shape, first[1]);
    expect(pop.trainer.lossCurves[0]).toEqual(kept.losses);
    (await pop.net.modelWeights(0)).forEach((w, k) => expect(Array.from(w)).toEqual(Array.from(kept.weights[k])));
    // The new member starts at the population's second epoch: its batches are a solo run's with that epoch's order
    // only in book mode (file order), so compare it with a solo run in a book-mode population.
    pop.dispose();
    const bookShape: GroupShape = { ...shape, mode: 'book' };
    const book = new Tox21Population(be, data, bookShape, first, { dataSeed: 5 });
    await book.epoch();
    book.trainer.stop(0);
    await book.repack([1], [late]);
    await book.trainer.fit();
    const alone = await solo(be, data, bookShape, late);
    expect(book.trainer.lossCurves[1]).toEqual(alone.losses);
    (await book.net.modelWeights(1)).forEach((w, k) => expect(Array.from(w)).toEqual(Array.from(alone.weights[k])));
    book.dispose();
  });

  it('WebGPU: members that stay match their solo runs within 1e-5', async () => {
    const be = await gpu();
    const shape: GroupShape = { task: 'T0', mode: 'modern', nLayers: 1, batchSize: 20, weightPositives: true };
    const members = MEMBERS.map((m) => ({ ...m, nHidden: m.nHidden * 3 }));
    await trainCompacting(be, data, shape, members); // warm: pipelines, cached scalars
    const live = () => {
      be.flush();
      return be.rt.pool.stats().liveBuffers;
    };
    const before = live();
    const r = await trainCompacting(be, data, shape, members);
    expect(live(), 'every repacked arena is released').toBe(before);
    expect(r.sizes).toEqual([3, 2, 1, 1]);
    for (let i = 0; i < members.length; i++) {
      const s = await solo(be, data, shape, members[i]);
      r.weights[i].forEach((w, k) => {
        for (let j = 0; j < w.length; j++) expect(Math.abs(w[j] - s.weights[k][j]), `member ${i} parameter ${k}[${j}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(s.weights[k][j])));
      });
    }
  });
});

describe('packing', () => {
  const data = syntheticMolecules(100, 40, 1, 6);
  const run = (seed: number, nHidden: number, nEpochs: number): RunSpec => ({
    h: { nHidden, nLayers: 1, learningRate: 3e-3, keepProb: 0.6, nEpochs, batchSize: 16, weightPositives: true }, mode: 'book', seed, task: 'T0',
  });
  const runs = [run(1, 8, 2), run(2, 3, 3), run(3, 8, 1), run(4, 3, 3), run(5, 8, 3)];

  it('on the CPU, runs are packed by width, finished members leave, and the results are the compaction-free ones', async () => {
    const be = new CpuBackend('f64');
    const packed = await evalTox21Population(be, data, runs, { maxModels: 8 });
    // Unmeasured CPU: padding does not pay, so the widths 8 and 3 train apart (3 and 2 at once) with no padding.
    expect(packed.map((r) => r.population)).toEqual([3, 2, 3, 2, 3]);
    for (const r of packed) expect(r.packing!.paddedFraction).toBe(0);
    const kept = await evalTox21Population(be, data, runs, { maxModels: 8, compact: false });
    // Without compaction the members that finished early keep their slots: idle units.
    expect(kept[0].packing!.paddedFraction).toBeGreaterThan(0);
    packed.forEach((r, i) => {
      expect(r.lossCurve, `run ${i}`).toEqual(kept[i].lossCurve);
      expect(r.metrics).toEqual(kept[i].metrics);
    });
    const one = await evalTox21Population(be, data, runs, { maxModels: 1 });
    packed.forEach((r, i) => expect(r.lossCurve).toEqual(one[i].lossCurve));
  });

  it('a trial pool puts each width in its own population and packs out the members that left', async () => {
    const be = new CpuBackend('f64');
    const pool = new Tox21TrialPool(be, data, { nHidden: 8, nLayers: 1, batchSize: 16, keepProb: 0.6, learningRate: 3e-3 }, { task: 'T0', capacity: 6, width: 8, dataSeed: 0 });
    const params = (nHidden: number) => ({ nHidden, nLayers: 1, batchSize: 16, keepProb: 0.6, learningRate: 3e-3 });
    pool.add({ trialId: 1, seed: 0, params: params(8), epochs: 1 });
    pool.add({ trialId: 2, seed: 0, params: params(3), epochs: 2 });
    pool.add({ trialId: 3, seed: 0, params: params(8), epochs: 2 });
    expect(pool.freeSlots()).toBe(3);
    const first = await pool.step();
    expect(first.map((e) => e.trialId).sort()).toEqual([1, 2, 3]);
    expect(pool.models).toBe(2);
    expect(pool.packing().paddedFraction).toBe(0);
    expect(pool.freeSlots()).toBe(4); // trial 1 finished
    const second = await pool.step(); // trial 1 is packed out first: nothing idle is computed
    expect(second.map((e) => e.trialId).sort()).toEqual([2, 3]);
    expect(pool.packing().paddedFraction).toBe(0);
    expect(pool.running()).toBe(0);
    pool.dispose();
  });

  it('a trial pool refills freed slots in place, grows a population for the rest, and every member is its solo run', async () => {
    const be = new CpuBackend('f64');
    const params = (nHidden: number) => ({ nHidden, nLayers: 1, batchSize: 16, keepProb: 0.6, learningRate: 3e-3 });
    const drive = async (solo: boolean) => {
      const pool = new Tox21TrialPool(be, data, params(8), { task: 'T0', capacity: 6, width: 8, dataSeed: 0, solo });
      const add = (trialId: number, w: number, epochs: number) => pool.add({ trialId, seed: trialId, params: params(w), epochs });
      add(1, 8, 1);
      add(2, 3, 3);
      add(3, 8, 2);
      const log: string[] = [];
      const record = (es: { trialId: number; epoch: number; values: Record<string, number> }[]) =>
        log.push(...es.map((e) => `${e.trialId}@${e.epoch}: ${e.values.loss} ${e.values['valid-wacc']}`).sort());
      record(await pool.step());
      add(4, 8, 2); // takes trial 1's freed slot in place
      add(5, 3, 2); // the width-3 population grows to take it
      add(6, 3, 1);
      record(await pool.step());
      const sizes = solo ? null : pool.models;
      while (pool.running() > 0) record(await pool.step());
      pool.dispose();
      return { log, sizes };
    };
    const packed = await drive(false);
    expect(packed.sizes).toBe(3);
    expect(packed.log).toEqual((await drive(true)).log);
  });
});
