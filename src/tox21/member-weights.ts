/**
 * A population member's weights on the host and back: what early stopping keeps of the best epoch. Held at the
 * member's real width (per layer W [fanIn × fanOut] row-major, then b [fanOut]) — the layout of PopulationMlp's
 * `modelWeights` — so a copy survives repacks that renumber slots or change the padded width, and writing it back
 * fills the slot's padding with the zeros it always holds. Values pass through in the backend's own precision
 * (float64 on the CPU oracle), so a restored member computes exactly as it did at that epoch.
 */
import type { PopulationMlp } from '../nn/population-mlp.ts';

/** The weights of slots `slots` of `net`, from one readback. */
export async function readMemberWeights(net: PopulationMlp, slots: readonly number[]): Promise<Float64Array[][]> {
  if (slots.length === 0) return [];
  const data = await net.be.readMany(net.parameters().map((p) => p.storage));
  return slots.map((m) => {
    const out: Float64Array[] = [];
    net.layers.forEach(({ W, fanIn, fanOut }, l) => {
      const [, rows, cols] = W.shape;
      const fi = fanIn(m), fo = fanOut(m);
      const w = new Float64Array(fi * fo);
      const src = data[2 * l];
      for (let r = 0; r < fi; r++) for (let c = 0; c < fo; c++) w[r * fo + c] = src[(m * rows + r) * cols + c];
      out.push(w, Float64Array.from(data[2 * l + 1].subarray(m * cols, m * cols + fo)));
    });
    return out;
  });
}

/** Writes weights read by readMemberWeights (of a member of the same width) into slot m of `net`. */
export function writeMemberWeights(net: PopulationMlp, m: number, weights: readonly Float64Array[]): void {
  if (weights.length !== 2 * net.layers.length) throw new RangeError(`writeMemberWeights: ${weights.length} arrays for ${net.layers.length} layers`);
  net.layers.forEach(({ W, b, fanIn, fanOut }, l) => {
    const [, rows, cols] = W.shape;
    const fi = fanIn(m), fo = fanOut(m);
    const w = weights[2 * l], bias = weights[2 * l + 1];
    if (w.length !== fi * fo || bias.length !== fo) throw new RangeError(`writeMemberWeights: layer ${l + 1} of slot ${m} is ${fi} × ${fo}, the copy ${w.length} + ${bias.length} values`);
    const slot = new Float64Array(rows * cols);
    for (let r = 0; r < fi; r++) slot.set(w.subarray(r * fo, (r + 1) * fo), r * cols);
    const bslot = new Float64Array(cols);
    bslot.set(bias);
    net.be.write(W.storage, m * rows * cols, slot);
    net.be.write(b.storage, m * cols, bslot);
  });
}
