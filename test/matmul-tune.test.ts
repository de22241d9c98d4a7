// Matmul autotuning (src/backend/webgpu/matmul-tune.ts): the cache file's name and round trip, what a broken or
// foreign file does (ignored, with the reason on stderr), that planMatmul honours a cached winner per shape class and
// nothing else, the candidate lists, and one real tuning run on this adapter (a class, small shapes). No timing is
// asserted: which candidate wins is the adapter's business.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MATMUL_CLASSES, matmulClass, planMatmul, type MatmulDevice } from '../src/backend/webgpu/matmul-config.ts';
import {
  TUNE_VERSION, candidates, choiceLabel, parseTuneFile, readTuned, tuneKey, tuneMatmul, tunePath, writeTuneFile, type TuneFile,
} from '../src/backend/webgpu/matmul-tune.ts';
import type { AdapterSummary } from '../src/gpu/adapter-info.ts';
import { parseSizes } from '../src/cli/bench.ts';
import { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { cpu, gpu } from './helpers/backends.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-tune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const H200: AdapterSummary = {
  vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA: 580.65.06 580.65.6.0', software: false, runtime: 'node-dawn',
};
const gpuDev: MatmulDevice = { software: false, subgroupSize: 32, maxWorkgroupStorage: 49152, maxInvocations: 1024 };

function file(winners: TuneFile['winners'], over: Partial<TuneFile> = {}): TuneFile {
  return { version: TUNE_VERSION, key: tuneKey(H200), adapter: H200, created: '2026-11-27T00:00:00Z', seconds: 1, shapes: {}, winners, rows: [], skipped: {}, ...over };
}

describe('the tuning cache', () => {
  it('is keyed by vendor, architecture, device and driver, sanitized for a file name', async () => {
    expect(tuneKey(H200)).toBe('nvidia-hopper-unknown-nvidia_580.65.06_580.65.6.0');
    expect(tuneKey({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' }))
      .toBe('google-swiftshader-swiftshader_device_subzero-swiftshader_driver_5.0.0');
    expect(tuneKey({ vendor: '../..', architecture: 'a/b', device: '', description: '' })).toBe('unknown-a_b-unknown-unknown');
    expect(await tunePath(H200, { XDG_CACHE_HOME: '/c' })).toBe('/c/shadergrad/tune/nvidia-hopper-unknown-nvidia_580.65.06_580.65.6.0.json');
    expect(await tunePath(H200, { SHADERGRAD_TUNE_DIR: '/t', XDG_CACHE_HOME: '/c' })).toBe('/t/nvidia-hopper-unknown-nvidia_580.65.06_580.65.6.0.json');
  });

  it('round-trips the winners through $XDG_CACHE_HOME/shadergrad/tune', async () => {
    const env = { XDG_CACHE_HOME: join(dir, 'xdg') };
    const winners = { large: { kernel: 'large' as const, tiles: { TILE_M: 128, TILE_N: 64, TILE_K: 16, WPT_M: 8, WPT_N: 8 } }, thin: { kernel: 'blocked' as const, workgroupSize: 16 } };
    const path = await writeTuneFile(file(winners), env);
    expect(path).toBe(join(dir, 'xdg', 'shadergrad', 'tune', `${tuneKey(H200)}.json`));
    expect(await readTuned(H200, env)).toEqual(winners);
    expect(await readTuned(H200, { ...env, SHADERGRAD_MATMUL_TUNE: 'off' })).toBeNull();
    expect(await readTuned({ ...H200, description: 'another driver' }, env)).toBeNull();
  });

  it('a file that cannot be used is ignored, saying which file and why', async () => {
    const env = { SHADERGRAD_TUNE_DIR: join(dir, 'broken') };
    await writeTuneFile(file({}), env);
    writeFileSync(await tunePath(H200, env), '{"version": 1, "key": ');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await readTuned(H200, env)).toBeNull();
      expect(String(err.mock.calls[0]?.[0])).toMatch(/ignoring the matmul tuning cache .*broken.*: not JSON/);
    } finally {
      err.mockRestore();
    }
  });

  it('names what is wrong in a file', () => {
    const key = tuneKey(H200);
    const text = (f: object) => JSON.stringify(f);
    expect(() => parseTuneFile(text(file({}, { version: 0 })), key)).toThrow(/version 0, this shadergrad reads version 1/);
    expect(() => parseTuneFile(text(file({})), 'other')).toThrow(/made for adapter "nvidia-hopper.*", this one is "other"/);
    expect(() => parseTuneFile(text({ ...file({}), winners: { huge: { kernel: 'large' } } }), key)).toThrow(/unknown shape class "huge"/);
    expect(() => parseTuneFile(text({ ...file({}), winners: { large: { kernel: 'magic' } } }), key)).toThrow(/class large: unknown kernel "magic"/);
    expect(() => parseTuneFile(text({ ...file({}), winners: { large: { kernel: 'large', tiles: { TILE_M: 128 } } } }), key)).toThrow(/tiles.TILE_N must be a positive integer/);
    expect(() => parseTuneFile(text({ ...file({}), winners: { thin: { kernel: 'blocked', workgroupSize: 6 } } }), key)).toThrow(/workgroupSize must be a multiple of 4, got 6/);
  });
});

describe('planMatmul with tuned winners', () => {
  it('uses the winner of the shape class, the heuristic for classes without one, and a forced choice over both', () => {
    const dev: MatmulDevice = { ...gpuDev, tuned: { large: { kernel: 'blocked', workgroupSize: 16 }, medium: { kernel: 'large', tiles: { TILE_M: 64, TILE_N: 64, TILE_K: 16, WPT_M: 4, WPT_N: 4 } } } };
    const big = { batch: 1, m: 4096, k: 4096, n: 4096 };
    expect(matmulClass(big)).toBe('large');
    expect(planMatmul(big, dev)).toMatchObject({ kernel: 'blocked', constants: { WG: 16 } });
    expect(planMatmul({ batch: 1, m: 1024, k: 1024, n: 1024 }, dev)).toMatchObject({ kernel: 'large', constants: { TILE_M: 64, TILE_K: 16, CHECKED: 0 } });
    expect(planMatmul({ batch: 1, m: 100, k: 1024, n: 50 }, dev).kernel).toBe('tiled'); // thin: not tuned
    expect(planMatmul(big, dev, { kernel: 'tiled' }).kernel).toBe('tiled');
  });

  it('a winner this device cannot run falls back to the heuristic', () => {
    const dev: MatmulDevice = { software: false, subgroupSize: null, tuned: { large: { kernel: 'large', tiles: { TILE_M: 128, TILE_N: 128, TILE_K: 32, WPT_M: 8, WPT_N: 8 } }, medium: { kernel: 'subgroup' } } };
    expect(planMatmul({ batch: 1, m: 4096, k: 4096, n: 4096 }, dev)).toMatchObject({ kernel: 'large', constants: { TILE_K: 8 } });
    expect(planMatmul({ batch: 1, m: 1024, k: 1024, n: 1024 }, dev).kernel).toBe('large');
  });

  it('classes: thin outputs, shallow products, then by work', () => {
    expect(matmulClass({ batch: 1, m: 100, k: 1024, n: 50 })).toBe('thin');
    expect(matmulClass({ batch: 1, m: 100, k: 50, n: 1024 })).toBe('shallow');
    expect(matmulClass({ batch: 1, m: 512, k: 512, n: 512 })).toBe('small');
    expect(matmulClass({ batch: 1, m: 1024, k: 1024, n: 1024 })).toBe('medium');
    expect(matmulClass({ batch: 1, m: 2048, k: 2048, n: 2048 })).toBe('large');
    expect(matmulClass({ batch: 16, m: 1024, k: 1024, n: 1024 })).toBe('large');
  });
});

describe('candidates', () => {
  it('start with the heuristic\'s own choice and hold only what the device can run', () => {
    for (const cls of MATMUL_CLASSES) {
      const c = candidates(cls, gpuDev);
      expect(c.length).toBeGreaterThan(1);
      expect(new Set(c.map(choiceLabel)).size).toBe(c.length);
      for (const o of c) expect(() => planMatmul({ batch: 1, m: 300, k: 300, n: 300 }, gpuDev, o)).not.toThrow();
    }
    expect(choiceLabel(candidates('large', gpuDev)[0])).toBe('large 128x128x8 8x8/thread');
    expect(choiceLabel(candidates('thin', gpuDev)[0])).toMatch(/^tiled /);
    // 32 KiB tiles need more than WebGPU's default 16 KiB of workgroup memory.
    const small: MatmulDevice = { software: false, subgroupSize: null };
    expect(candidates('large', small).map(choiceLabel)).not.toContain('large 128x128x16 8x8/thread');
    expect(candidates('large', gpuDev).map(choiceLabel)).toContain('large 128x128x16 8x8/thread');
  });

  it('on a software adapter: the register kernels first', () => {
    const sw: MatmulDevice = { software: true, subgroupSize: 4 };
    expect(candidates('medium', sw)[0].kernel).toBe('subgroup');
    expect(candidates('medium', sw).map((c) => c.kernel)).not.toContain('large');
  });
});

describe('tuning on this adapter', () => {
  it('times the candidates of a class and returns its winner', async () => {
    const g = await gpu();
    const rows: string[] = [];
    const f = await tuneMatmul(g, { classes: ['shallow'], budgetSeconds: 60, batchMs: 10, onRow: (r) => rows.push(r.candidate) });
    expect(f.key).toBe(tuneKey(g.info));
    expect(rows.length).toBeGreaterThan(1);
    expect(f.winners.shallow?.kernel).toBeDefined();
    expect(f.rows.filter((r) => r.ms !== null).every((r) => r.ms! > 0 && r.gflops! > 0)).toBe(true);
    expect(Object.keys(f.winners)).toEqual(['shallow']);
    expect(g.matmulOverride).toBeNull();
  });
});

describe('WebGpuBackend.create()', () => {
  it('reads this adapter\'s tuning file from the cache folder, and planMatmul follows it', async () => {
    const g = await gpu();
    const env = { SHADERGRAD_TUNE_DIR: join(dir, 'backend') };
    const winners = { thin: { kernel: 'blocked' as const, workgroupSize: 4 } };
    await writeTuneFile({ ...file(winners), key: tuneKey(g.info), adapter: g.info }, env);
    const saved = process.env.SHADERGRAD_TUNE_DIR;
    process.env.SHADERGRAD_TUNE_DIR = env.SHADERGRAD_TUNE_DIR;
    const be = await WebGpuBackend.create();
    try {
      expect(be.matmulDevice.tuned).toEqual(winners);
      const spec = { batch: 1, m: 3, k: 5, n: 7 };
      expect(planMatmul(spec, be.matmulDevice)).toMatchObject({ kernel: 'blocked', constants: { WG: 4 } });
      const a = be.upload(Float32Array.from({ length: 15 }, (_, i) => i)), b = be.upload(Float32Array.from({ length: 35 }, (_, i) => 1 - i / 10));
      const want = await cpu.read(cpu.matmul(cpu.upload(Float32Array.from({ length: 15 }, (_, i) => i)), cpu.upload(Float32Array.from({ length: 35 }, (_, i) => 1 - i / 10)), spec));
      const got = await be.read(be.matmul(a, b, spec));
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    } finally {
      be.rt.destroy();
      if (saved === undefined) delete process.env.SHADERGRAD_TUNE_DIR;
      else process.env.SHADERGRAD_TUNE_DIR = saved;
    }
  });
});

describe('bench --sizes', () => {
  it('parses a comma list of squares, naming a bad entry', () => {
    expect(parseSizes('1024,2048, 4096')).toEqual([1024, 2048, 4096]);
    expect(() => parseSizes('1024,big')).toThrow(/--sizes: "big" is not a matrix size/);
    expect(() => parseSizes(',')).toThrow(/--sizes needs a comma-separated list/);
  });
});
