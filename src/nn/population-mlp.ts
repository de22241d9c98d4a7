/**
 * M fully connected networks trained at once: every layer's weights carry a leading model axis, so one dispatch per
 * layer serves the whole population. Models differ in their init seed, hidden width and keep probability; the
 * shape (layers, inputs, outputs) is shared. Hidden layers are padded to the widest model: a narrower model's extra
 * columns start at zero and stay there — in training `dropoutModels` zeroes them (so they pass no value forward and
 * get no gradient back), and their outgoing weights, which then receive zero gradient, stay zero for evaluation.
 *
 * Model m is drawn exactly as the solo Mlp with its seed draws (one Rng, layer by layer, W then b, at its real
 * width) and scattered into the padded layout, so a member is the same network as its solo run.
 */
import { linear } from '../autograd/ops.ts';
import { keep } from '../autograd/scope.ts';
import { BitRows, sparseLinear } from '../autograd/sparse-linear.ts';
import { Tensor } from '../autograd/tensor.ts';
import type { Activation, Backend, ModelKeys, Storage } from '../backend/backend.ts';
import { Rng } from '../random/rng.ts';
import { initBias, initWeights, outputLayerInit, type Init } from './init.ts';

export interface PopulationMember {
  /** Init and dropout seed. */
  seed: number;
  /** Hidden units (≤ the population's width). */
  width: number;
  /** Keep probability of the dropout after each hidden layer (1 = none). */
  keep: number;
}

export interface PopulationMlpConfig {
  inputs: number;
  outputs: number;
  nLayers: number;
  activation?: Activation;
  init?: Init;
  members: PopulationMember[];
  /** Padded hidden width; default the widest member (a pool that takes new members later may ask for more). */
  width?: number;
}

interface Layer {
  W: Tensor;
  b: Tensor;
  fanIn: (m: number) => number;
  fanOut: (m: number) => number;
}

export class PopulationMlp {
  readonly models: number;
  readonly width: number;
  readonly members: PopulationMember[];
  readonly layers: Layer[] = [];
  private training = false;
  /** Training forwards of each model: its dropout step. */
  readonly steps: Uint32Array;
  /** Models whose dropout steps advance on the next training forward (frozen ones do not). */
  readonly active: Uint8Array;
  /** The one allocation holding every parameter. */
  private readonly arena: Storage;
  private disposed = false;

  /** `copied` leading slots are left zero for the caller to fill (a repack copies them); the rest are drawn. */
  constructor(readonly be: Backend, readonly cfg: PopulationMlpConfig, copied = 0) {
    const { inputs, outputs, nLayers, members } = cfg;
    if (members.length === 0) throw new RangeError('PopulationMlp: no members');
    if (!Number.isInteger(nLayers) || nLayers < 0) throw new RangeError(`PopulationMlp: nLayers must be an integer ≥ 0, got ${nLayers}`);
    this.models = members.length;
    this.width = cfg.width ?? Math.max(...members.map((m) => m.width));
    this.members = members.map((m) => ({ ...m }));
    members.forEach((m, i) => this.checkMember(m, i));
    this.steps = new Uint32Array(this.models);
    this.active = new Uint8Array(this.models).fill(1);
    const H = this.width, M = this.models;
    const widthOf = (m: number) => this.members[m].width;
    // Every parameter in one arena (W1, b1, W2, …): the optimizer then updates them all in one dispatch.
    const dims = Array.from({ length: nLayers + 1 }, (_, l) => [l === 0 ? inputs : H, l === nLayers ? outputs : H]);
    const arena = be.arena(dims.flatMap(([rowsIn, colsOut]) => [M * rowsIn * colsOut, M * colsOut]));
    this.arena = arena.whole;
    dims.forEach(([rowsIn, colsOut], l) => {
      const fanIn = l === 0 ? () => inputs : widthOf;
      const fanOut = l === nLayers ? () => outputs : widthOf;
      const W = keep(new Tensor(be, arena.views[2 * l], [M, rowsIn, colsOut], true, `W${l + 1}`));
      const b = keep(new Tensor(be, arena.views[2 * l + 1], [M, 1, colsOut], true, `b${l + 1}`));
      this.layers.push({ W, b, fanIn, fanOut });
    });
    for (let m = copied; m < M; m++) this.writeInit(m);
  }

  private checkMember(m: PopulationMember, i: number): void {
    if (!Number.isInteger(m.width) || m.width < 1 || m.width > this.width) throw new RangeError(`PopulationMlp: member ${i} has width ${m.width}; it must be an integer in [1, ${this.width}]`);
    if (!(m.keep > 0 && m.keep <= 1)) throw new RangeError(`PopulationMlp: member ${i} has keep probability ${m.keep}; it must be in (0, 1]`);
    if (!Number.isInteger(m.seed) || m.seed < 0 || m.seed > 0xffffffff) throw new RangeError(`PopulationMlp: member ${i} has seed ${m.seed}; it must be an integer in [0, 2^32)`);
  }

  /** Draws model m's weights as its solo Mlp would and writes them into its slot of each layer. */
  private writeInit(m: number): void {
    const init = this.cfg.init ?? 'glorot';
    const rng = new Rng(this.members[m].seed);
    for (const [l, { W, b, fanIn, fanOut }] of this.layers.entries()) {
      const [, rows, cols] = W.shape;
      const fi = fanIn(m), fo = fanOut(m);
      const layerInit = l === this.cfg.nLayers ? outputLayerInit(init) : init;
      const w = initWeights(layerInit, fi, fo, fi * fo, rng);
      const bias = initBias(layerInit, fo, rng);
      const slot = new Float32Array(rows * cols);
      for (let r = 0; r < fi; r++) slot.set(w.subarray(r * fo, (r + 1) * fo), r * cols);
      const bslot = new Float32Array(cols);
      bslot.set(bias);
      this.be.write(W.storage, m * rows * cols, slot);
      this.be.write(b.storage, m * cols, bslot);
    }
  }

  /** Slot m takes a new member: fresh weights from its seed, its width and keep, dropout step 0. */
  resetSlot(m: number, member: PopulationMember): void {
    this.checkMember(member, m);
    this.members[m] = { ...member };
    this.steps[m] = 0;
    this.active[m] = 1;
    this.writeInit(m);
  }

  /**
   * A new network holding the members of slots `keep` (in that order, each with its weights and dropout step) and
   * then `add` (drawn fresh from their seeds), padded to `width` (default the widest of them): how a population drops
   * the members that left and takes new ones between epochs. Padding holds zeros, so a narrower pad loses nothing.
   * This network is left as it was (dispose it).
   */
  async repacked(keep: readonly number[], add: readonly PopulationMember[] = [], width?: number): Promise<PopulationMlp> {
    const members = [...keep.map((m) => this.members[m]), ...add];
    const next = new PopulationMlp(this.be, { ...this.cfg, members, width: width ?? Math.max(...members.map((m) => m.width)) }, keep.length);
    await copySlots(this.be, this.parameters(), next.parameters(), keep);
    keep.forEach((m, i) => {
      next.steps[i] = this.steps[m];
      next.active[i] = this.active[m];
    });
    next.training = this.training;
    return next;
  }

  /** Logits [models, rows, outputs]. The first layer takes set-bit rows (sparse) or a dense [rows, inputs] tensor. */
  forward(x: BitRows | Tensor): Tensor {
    const hiddenAct = this.cfg.activation ?? 'relu';
    const keys = this.training && this.needsDropout() ? this.dropoutKeys() : null;
    let h: Tensor | null = null;
    this.layers.forEach(({ W, b }, l) => {
      const hidden = l < this.cfg.nLayers;
      // A hidden layer's dropout is part of the layer op: after relu its backward shares the activation's kernel.
      const opts = { activation: hidden ? hiddenAct : 'none' as const, dropout: keys && hidden ? { keys, stream: l } : undefined };
      h = h ? linear(h, W, b, opts) : x instanceof BitRows ? sparseLinear(x, W, b, opts) : linear(x, W, b, opts);
    });
    if (keys) for (let m = 0; m < this.models; m++) if (this.active[m]) this.steps[m]++;
    return h!;
  }

  /** Dropout (or the padding mask it applies) is needed when a member drops units or is narrower than the pad. */
  private needsDropout(): boolean {
    return this.cfg.nLayers > 0 && this.members.some((m) => m.keep < 1 || m.width < this.width);
  }

  private dropoutKeys(): ModelKeys {
    return {
      keep: this.members.map((m) => m.keep),
      seed: this.members.map((m) => m.seed),
      step: Array.from(this.steps),
      width: this.members.map((m) => m.width),
    };
  }

  parameters(): Tensor[] {
    return this.layers.flatMap((l) => [l.W, l.b]);
  }

  train(on = true): this {
    this.training = on;
    return this;
  }

  /** Model m's parameters at its real width, as its solo Mlp holds them (W [in, out] then b [out] per layer). */
  async modelWeights(m: number): Promise<Float64Array[]> {
    const data = await this.be.readMany(this.parameters().map((p) => p.storage));
    const out: Float64Array[] = [];
    this.layers.forEach(({ W, fanIn, fanOut }, l) => {
      const [, rows, cols] = W.shape;
      const fi = fanIn(m), fo = fanOut(m);
      const w = data[2 * l].subarray(m * rows * cols, (m + 1) * rows * cols);
      out.push(Float64Array.from({ length: fi * fo }, (_, i) => w[Math.floor(i / fo) * cols + (i % fo)]));
      out.push(Float64Array.from(data[2 * l + 1].subarray(m * cols, m * cols + fo)));
    });
    return out;
  }

  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
    if (!this.disposed) this.be.release(this.arena);
    this.disposed = true;
  }
}

/**
 * Copies slots `keep` of each [models, rows, cols] tensor of `from` into the leading slots of the matching tensor of
 * `to` (whose rows and cols may differ: a repadded hidden width), in one readback. Values go through the backend's
 * own precision untouched (float64 on the CPU oracle), so a copied member computes exactly as before.
 */
export async function copySlots(be: Backend, from: readonly Tensor[], to: readonly Tensor[], keep: readonly number[]): Promise<void> {
  if (keep.length === 0) return;
  const data = await be.readMany(from.map((t) => t.storage));
  from.forEach((src, i) => {
    const [, r1, c1] = src.shape, [, r2, c2] = to[i].shape;
    const out = new Float64Array(keep.length * r2 * c2);
    const rows = Math.min(r1, r2), cols = Math.min(c1, c2);
    keep.forEach((m, j) => {
      for (let r = 0; r < rows; r++) out.set(data[i].subarray((m * r1 + r) * c1, (m * r1 + r) * c1 + cols), (j * r2 + r) * c2);
    });
    be.write(to[i].storage, 0, out);
  });
}
