/** Packs a kernel's uniform block: plain numbers are u32, `{ f }` is f32; padded to 16 bytes as WGSL requires. */
export type Field = number | { f: number };

export function packParams(fields: Field[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.ceil(fields.length / 4) * 16);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  fields.forEach((v, i) => {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uniform field ${i} must be a u32, got ${v}`);
      u[i] = v;
    } else f[i] = v.f;
  });
  return buf;
}
