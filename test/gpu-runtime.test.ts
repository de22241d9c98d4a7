// The runtime under the kernels: adapter info, buffer reuse only after submit, pipeline caching by override values,
// many dispatches per submit, and errors that name the shader file, entry point and offending values.
import { describe, expect, it } from 'vitest';
import { BufferPool, bucketBytes } from '../src/gpu/buffer-pool.ts';
import { registerShader, shaderSource } from '../src/gpu/shader-source.ts';
import { expectClose, gpu, rand } from './helpers/backends.ts';

describe('device and adapter', () => {
  it('reports the adapter, and SwiftShader as software', async () => {
    const g = await gpu();
    expect(g.info.runtime).toBe('node-dawn');
    expect(g.info.description.length + g.info.vendor.length).toBeGreaterThan(0);
    if (/swiftshader/i.test(JSON.stringify(g.info))) expect(g.info.software).toBe(true);
  });
});

describe('buffer pool', () => {
  it('buckets sizes with at most 25 % slack', () => {
    for (const b of [1, 256, 257, 1000, 4096, 4097, 1e6, 123457]) {
      const s = bucketBytes(b);
      expect(s).toBeGreaterThanOrEqual(b);
      expect(s).toBeLessThanOrEqual(Math.max(256, b * 1.25));
    }
  });

  it('reuses a released buffer only after a submit', async () => {
    const g = await gpu();
    const pool: BufferPool = g.rt.pool;
    g.flush();
    const a = g.upload(rand(1000, 1));
    const before = pool.stats().created;
    g.release(a);
    const b = g.upload(rand(1000, 2)); // a is pending: a new buffer is created
    expect(pool.stats().created).toBe(before + 1);
    g.flush();
    g.release(b);
    g.flush();
    const c = g.upload(rand(1000, 3)); // b was released before a submit: reused
    expect(pool.stats().created).toBe(before + 1);
    expect(Array.from((await g.read(c)).slice(0, 3))).toEqual(Array.from(rand(1000, 3).slice(0, 3)));
    g.release(c);
  });

  it('counts live buffers and bytes, and rejects double release', async () => {
    const g = await gpu();
    const s0 = g.rt.pool.stats();
    const a = g.zeros(300);
    expect(g.rt.pool.stats().liveBuffers).toBe(s0.liveBuffers + 1);
    expect(g.rt.pool.stats().liveBytes).toBe(s0.liveBytes + bucketBytes(1200));
    g.release(a);
    expect(() => g.release(a)).toThrow('release: storage released twice');
    expect(() => g.unary('relu', a)).toThrow('relu: storage was released');
  });

  it('a buffer over the device limit names the op and the limit', async () => {
    const g = await gpu();
    const limit = g.rt.maxStorageBytes;
    expect(() => g.zeros(limit / 4 + 1024)).toThrow(new RegExp(`zeros: output of ${limit / 4 + 1024} floats .* exceeds the device's storage binding limit of ${limit} bytes`));
  });
});

describe('batching and pipeline cache', () => {
  it('records many dispatches into one submit and reads back once', async () => {
    const g = await gpu();
    g.flush();
    const c0 = { ...g.rt.counters };
    let x = g.upload(rand(257, 4));
    for (let i = 0; i < 50; i++) {
      const y = g.unary('tanh', x);
      g.release(x);
      x = y;
    }
    await g.read(x);
    const c1 = g.rt.counters;
    expect(c1.dispatches - c0.dispatches).toBe(50);
    expect(c1.submits - c0.submits).toBe(1);
    expect(c1.readbacks - c0.readbacks).toBe(1);
    g.release(x);
  });

  it('builds one pipeline per (shader, entry, override values)', async () => {
    const g = await gpu();
    const x = g.upload(rand(10, 5));
    const y1 = g.unary('abs', x);
    const n = g.rt.pipelines.size;
    const y2 = g.unary('abs', x);
    expect(g.rt.pipelines.size).toBe(n);
    const y3 = g.unary('square', x);
    expect(g.rt.pipelines.size).toBe(n + 1);
    for (const s of [x, y1, y2, y3]) g.release(s);
    await g.rt.sync();
  });
});

describe('bind group cache', () => {
  it('a step that gets the same pooled buffers back reuses its bind groups, and recycled buffers give right results', async () => {
    const g = await gpu();
    const dev = g.rt.device;
    const create = dev.createBindGroup.bind(dev);
    let made = 0;
    (dev as { createBindGroup: typeof create }).createBindGroup = (d) => {
      made++;
      return create(d);
    };
    try {
      const outs: number[][] = [];
      const counts: number[] = [];
      for (let step = 0; step < 4; step++) {
        const m0 = made;
        const x = g.upload(rand(300, step));
        const y = g.unary('scale', x, 2);
        const z = g.binary('add', y, [1, 1, 300], x, [1, 1, 300]);
        outs.push(Array.from((await g.read(z)).slice(0, 3)));
        for (const s of [x, y, z]) g.release(s);
        g.flush();
        counts.push(made - m0);
      }
      // Later steps bind the buffers of earlier ones at the same offsets: no new bind groups.
      expect(counts.at(-1)).toBe(0);
      outs.forEach((o, step) => expectClose(o, Array.from(rand(300, step).slice(0, 3), (v) => 3 * v), { atol: 1e-6, rtol: 1e-6 }, `step ${step}`));
    } finally {
      (dev as { createBindGroup: typeof create }).createBindGroup = create;
    }
  });
});

describe('shader imports', () => {
  it('//#import pulls in matmul-params.wgsl and activation.wgsl once, nested imports included', () => {
    const src = shaderSource('matmul-blocked');
    expect(src).not.toMatch(/^\/\/#import/m);
    expect(src.match(/fn activate\(/g)).toHaveLength(1);
    expect(src.match(/struct Params/g)).toHaveLength(1);
    // register-block.wgsl imports matmul-params and activation again: still one copy of each.
    expect(shaderSource('matmul-subgroup').match(/fn storeBlock\(/g)).toHaveLength(1);
    expect(shaderSource('matmul-subgroup').match(/fn activate\(/g)).toHaveLength(1);
    registerShader('nested', '//#import matmul-params\n//#import activation\n//#import matmul-params\n');
    expect(shaderSource('nested').match(/struct Params/g)).toHaveLength(1);
  });

  it('an unknown import names the shader that asked for it', () => {
    registerShader('bad-import', '//#import no-such-module\n');
    expect(() => shaderSource('bad-import')).toThrow('shader no-such-module.wgsl (imported by bad-import.wgsl) is not loaded');
  });
});

describe('errors name the shader', () => {
  it('a WGSL compile error names the file, line and column', async () => {
    const g = await gpu();
    registerShader('broken', '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }');
    g.rt.pipelines.get('broken', 'main');
    await expect(g.rt.check()).rejects.toThrow(/WGSL compile error in shaders\/broken\.wgsl \(entry main\):\n\s+broken\.wgsl:1:\d+: .*undefined_thing/);
    await g.rt.check().catch(() => undefined); // drain the validation errors that follow from the bad module
  });

  it('a validation error raised by Dawn names the pipeline shaders/<file>.wgsl:<entry>', async () => {
    const g = await gpu();
    registerShader('binds', '@group(0) @binding(0) var<uniform> p: vec4u; @group(0) @binding(1) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(1) fn main() { o[0] = f32(p.x); }');
    // Bind a buffer that is too small for the uniform block (a misuse the backend never makes itself).
    g.rt.dispatch('binds', 'main', {}, new ArrayBuffer(16), [], 1);
    await expect(g.rt.read([{ buffer: g.rt.dummy, bytes: 4 }])).rejects.toThrow(/binds\.wgsl:main/);
  });
});
