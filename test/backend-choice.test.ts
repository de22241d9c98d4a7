// The backend chosen by measurement: a hardware GPU is taken, no adapter means the CPU, a software adapter is timed
// against the CPU on the run's network and the faster trains — the choice and its reason reported, `--backend`
// forcing it, the measurement cached per machine and shape (no re-timing), a corrupt cache file ignored with a note.
// Whether populations pay is measured the same way. No assertion on how fast anything is.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.ts';
import { NoAdapterError } from '../src/gpu/device.ts';
import { defaultPopulation } from '../src/tox21/eval-hyperparams.ts';
import { backendChoice, backendReport, chooseBackend } from '../src/train/choose-backend.ts';
import { measurePopulationCost, widthSlack } from '../src/train/population-cost.ts';
import type { NetworkShape } from '../src/train/step-timer.ts';
import { cliWorkspace, writeTox21Slice } from './helpers/cli.ts';

const NET: NetworkShape = { inputs: 64, hidden: 8, layers: 1, outputs: 1, batch: 16 };

/** A stand-in adapter: the CPU backend dressed as a WebGPU one (hardware or software). */
function adapter(software: boolean): Backend {
  const be = new CpuBackend('f32');
  return Object.assign(be, { kind: 'webgpu', info: { ...be.info, vendor: 'test', description: software ? 'SwiftShader Device (Subzero)' : 'a GPU', software, runtime: 'node-dawn' } }) as unknown as Backend;
}

/** A step timer that counts its calls and says what it was told per backend kind. */
function fakeTimer(ms: { webgpu: number; cpu: number }) {
  const calls: string[] = [];
  return { calls, timeStep: async (be: Backend) => (calls.push(be.kind), ms[be.kind]) };
}

describe('chooseBackend', () => {
  it('--backend cpu and webgpu force the backend without timing anything', async () => {
    const t = fakeTimer({ webgpu: 1, cpu: 9 });
    const cpu = await chooseBackend({ backend: 'cpu', network: NET, cacheDir: null, timeStep: t.timeStep, openWebGpu: async () => adapter(true) });
    expect(cpu.be.kind).toBe('cpu');
    expect(cpu.choice).toEqual({ kind: 'cpu', chosen: 'forced', reason: '--backend cpu' });
    const gpu = await chooseBackend({ backend: 'webgpu', network: NET, cacheDir: null, timeStep: t.timeStep, openWebGpu: async () => adapter(true) });
    expect(gpu.be.kind).toBe('webgpu');
    expect(gpu.choice.chosen).toBe('forced');
    expect(backendChoice(gpu.be)).toBe(gpu.choice);
    expect(t.calls).toEqual([]);
  });

  it('auto: a hardware GPU is taken, no adapter means the CPU, neither timed', async () => {
    const t = fakeTimer({ webgpu: 9, cpu: 1 });
    const hw = await chooseBackend({ network: NET, cacheDir: null, timeStep: t.timeStep, openWebGpu: async () => adapter(false) });
    expect(hw.choice).toMatchObject({ kind: 'webgpu', chosen: 'hardware-gpu' });
    const none = await chooseBackend({ network: NET, cacheDir: null, timeStep: t.timeStep, openWebGpu: async () => { throw new NoAdapterError('no Vulkan driver'); } });
    expect(none.be.kind).toBe('cpu');
    expect(none.choice.chosen).toBe('no-adapter');
    expect(none.choice.reason).toContain('no Vulkan driver');
    expect(t.calls).toEqual([]);
    // Any other failure to open WebGPU is not hidden behind a fallback.
    await expect(chooseBackend({ network: NET, cacheDir: null, openWebGpu: async () => { throw new Error('device lost'); } })).rejects.toThrow('device lost');
  });

  it('auto on a software adapter: times both, trains on the faster, says why; the cache is used the second time', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'sg-choice-'));
    const slow = fakeTimer({ webgpu: 11.8, cpu: 1.1 });
    const a = await chooseBackend({ network: NET, cacheDir, timeStep: slow.timeStep, openWebGpu: async () => adapter(true) });
    expect(slow.calls.sort()).toEqual(['cpu', 'webgpu']);
    expect(a.be.kind).toBe('cpu');
    expect(a.choice).toEqual({
      kind: 'cpu', chosen: 'measured', msPerStep: { webgpu: 11.8, cpu: 1.1 }, cached: false,
      reason: 'SwiftShader 11.8 ms/step, CPU 1.1 ms/step: training on the CPU; --backend webgpu to force',
    });
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const again = fakeTimer({ webgpu: 1, cpu: 50 });
    const b = await chooseBackend({ network: NET, cacheDir, timeStep: again.timeStep, openWebGpu: async () => adapter(true) });
    expect(again.calls).toEqual([]);
    expect(b.choice).toMatchObject({ kind: 'cpu', chosen: 'measured', cached: true, msPerStep: { webgpu: 11.8, cpu: 1.1 } });
    expect(b.choice.reason).toContain('(measured before)');
    // Another network shape is another measurement: here the adapter wins.
    const other = await chooseBackend({ network: { ...NET, hidden: 500 }, cacheDir, timeStep: again.timeStep, openWebGpu: async () => adapter(true) });
    expect(again.calls.sort()).toEqual(['cpu', 'webgpu']);
    expect(other.choice).toMatchObject({ kind: 'webgpu', chosen: 'measured', cached: false });
    expect(other.choice.reason).toMatch(/training on SwiftShader; --backend cpu to force$/);
  });

  it('a corrupt or stale cache file is ignored with a note, timed again and rewritten', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'sg-choice-'));
    const t = fakeTimer({ webgpu: 3, cpu: 2 });
    await chooseBackend({ network: NET, cacheDir, timeStep: t.timeStep, openWebGpu: async () => adapter(true) });
    const file = join(cacheDir, readdirSync(cacheDir)[0]);
    for (const [bad, why] of [['{ not json', /not JSON/], [JSON.stringify({ version: 99 }), /version 99/], [JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), msPerStep: { webgpu: -1, cpu: 2 } }), /msPerStep.webgpu is -1/]] as const) {
      writeFileSync(file, bad);
      const notes: string[] = [];
      t.calls.length = 0;
      const r = await chooseBackend({ network: NET, cacheDir, timeStep: t.timeStep, openWebGpu: async () => adapter(true), onNote: (l) => notes.push(l) });
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain(`ignoring the step-timing cache ${file}`);
      expect(notes[0]).toMatch(why);
      expect(t.calls.sort()).toEqual(['cpu', 'webgpu']);
      expect(r.choice).toMatchObject({ kind: 'cpu', cached: false, msPerStep: { webgpu: 3, cpu: 2 } });
      expect(JSON.parse(readFileSync(file, 'utf8')).msPerStep).toEqual({ webgpu: 3, cpu: 2 });
    }
  });

  it('on this machine: a real step is timed on the adapter and on the CPU, and the choice names both', async () => {
    const { be, choice } = await chooseBackend({ network: NET, cacheDir: null });
    if (!be.info.software && choice.chosen !== 'no-adapter' && be.kind === 'webgpu') {
      expect(choice.chosen).toBe('hardware-gpu');
      return;
    }
    if (choice.chosen === 'no-adapter') return expect(be.kind).toBe('cpu');
    expect(choice.chosen).toBe('measured');
    expect(choice.msPerStep!.webgpu).toBeGreaterThan(0);
    expect(choice.msPerStep!.cpu).toBeGreaterThan(0);
    expect(be.kind).toBe(choice.msPerStep!.cpu < choice.msPerStep!.webgpu ? 'cpu' : 'webgpu');
  });
});

describe('whether populations pay, measured', () => {
  it('sets the default population and the width slack from one step for 1 and for k models, cached', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'sg-pop-cost-'));
    const calls: number[] = [];
    const be = new CpuBackend('f32');
    // Unmeasured: the backend's kind decides (one run at a time on the CPU, no padding).
    expect(defaultPopulation(be)).toBe(1);
    expect(widthSlack(be)).toBe(0);
    const cost = await measurePopulationCost(be, NET, { models: 8, cacheDir, timeStep: async (_b, _s, m) => (calls.push(m), m === 1 ? 2 : 4) });
    expect(calls).toEqual([1, 8]);
    expect(cost).toMatchObject({ models: 8, msPerStep: { solo: 2, population: 4 }, ratio: 0.25, pays: true, cached: false });
    expect(defaultPopulation(be)).toBe(32);
    expect(widthSlack(be)).toBeCloseTo(0.75, 12);
    expect(backendReport(be).population).toBe(cost);
    const be2 = new CpuBackend('f32');
    const again = await measurePopulationCost(be2, NET, { models: 8, cacheDir, timeStep: async () => { throw new Error('timed again'); } });
    expect(again).toMatchObject({ cached: true, pays: true });
    // A population no cheaper than its solo steps is not the default.
    const be3 = new CpuBackend('f32');
    await measurePopulationCost(be3, { ...NET, hidden: 9 }, { models: 8, cacheDir, timeStep: async (_b, _s, m) => (m === 1 ? 2 : 16) });
    expect(defaultPopulation(be3)).toBe(1);
    expect(widthSlack(be3)).toBe(0);
  });
});

describe('the training commands', () => {
  const ws = cliWorkspace('sg-backend-cli-');
  const slice = writeTox21Slice(ws.dir, 300);
  const fcn = async (...extra: string[]) => {
    const r = await ws.runOk(['tox21', 'fcn', '--data', slice, '--epochs', '1', '--json', ...extra]);
    return { j: JSON.parse(r.stdout), stderr: r.stderr };
  };

  it('tox21 fcn names the backend in its JSON: forced by --backend, or measured (and cached) by default', async () => {
    const cpu = await fcn('--backend', 'cpu');
    expect(cpu.j.backend).toEqual({ kind: 'cpu', chosen: 'forced', reason: '--backend cpu' });
    expect(cpu.j.adapter.runtime).toBe('cpu');
    const auto = await fcn();
    const b = auto.j.backend;
    if (b.chosen === 'measured') {
      expect(b.msPerStep.webgpu).toBeGreaterThan(0);
      expect(b.msPerStep.cpu).toBeGreaterThan(0);
      expect(auto.stderr).toContain(b.reason);
      expect(b.reason).toMatch(/ms\/step, CPU .* ms\/step: training on (the CPU; --backend webgpu|.*; --backend cpu) to force/);
      expect(auto.j.adapter.runtime).toBe(b.kind === 'cpu' ? 'cpu' : 'node-dawn');
      const again = await fcn();
      expect(again.j.backend).toMatchObject({ chosen: 'measured', cached: true, kind: b.kind, msPerStep: b.msPerStep });
    } else {
      expect(['hardware-gpu', 'no-adapter']).toContain(b.chosen);
    }
    const gpu = await fcn('--backend', 'webgpu').catch((e: { stderr: string }) => ({ j: null, stderr: e.stderr }));
    if (gpu.j) expect(gpu.j.backend).toMatchObject({ kind: 'webgpu', chosen: 'forced' });
  });
});
