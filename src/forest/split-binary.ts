/**
 * The fast path for binary features (ECFP bits). A split is "bit set / not set", so a feature's split is scored from
 * three numbers per bit — how many of the node's samples have it and their class-0 and class-1 weight (the "not set"
 * side is the node total minus that) — gathered for all bits at once from the samples' set-bit lists: about 30 bits
 * per molecule instead of 1024 values in a dense matrix.
 *
 * Only the smaller child of a split is counted from its samples; the larger child's counts are the parent's minus
 * the smaller child's, updated in place (LightGBM's histogram subtraction). A sample is thus counted about
 * log2(n) times per tree instead of once per level, and children that will be leaves are not counted at all.
 */
import type { BinaryTable } from './features.ts';
import type { Rng } from '../random/rng.ts';
import { FeatureDraw, giniProxy, type NodeSplitter, type Split } from './split.ts';

/** Per-bit tallies over one node's samples. */
interface BitCounts {
  count: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

export class BinarySplitter implements NodeSplitter {
  private readonly draw: FeatureDraw;
  /** Counts prepared for nodes waiting to be split, by the node's first sample position (unique among them). */
  private readonly prepared = new Map<number, BitCounts>();
  /** Zeroed tallies ready for reuse: a tree needs about as many as its depth, not one per node. */
  private readonly spare: BitCounts[] = [];
  /** The counts of the node split last, until `children` hands them on. */
  private parent: BitCounts | null = null;
  /** Below this many samples, zeroing a tally bit by bit beats filling whole arrays. */
  private readonly clearByBitsBelow: number;

  constructor(
    private readonly table: BinaryTable,
    private readonly y: Uint8Array,
    /** Distinct samples of the tree, partitioned in place node by node. */
    private readonly samples: Uint32Array,
    /** Per-row weight: bootstrap count × class weight. */
    private readonly weight: Float64Array,
    private readonly featuresPerNode: number,
    private readonly minSamplesLeaf: number,
  ) {
    this.draw = new FeatureDraw(table.nFeatures);
    const bitsPerRow = Math.max(1, table.indices.length / Math.max(1, table.rows));
    this.clearByBitsBelow = (3 * table.nFeatures) / bitsPerRow;
  }

  split(start: number, end: number, w0: number, w1: number, rng: Rng): Split | null {
    let h = this.prepared.get(start);
    if (h) this.prepared.delete(start);
    else h = this.add(this.take(), start, end);
    const { count, w0: w0Set, w1: w1Set } = h;

    const n = end - start;
    const minLeaf = this.minSamplesLeaf;
    let best = -Infinity;
    let bestFeature = -1;
    this.draw.start();
    for (let visited = 0; visited < this.featuresPerNode || bestFeature < 0; visited++) {
      const f = this.draw.next(rng);
      if (f < 0) break;
      const c = count[f];
      if (c < minLeaf || n - c < minLeaf) continue; // also skips bits constant in this node (c = 0 or n)
      const r0 = w0Set[f];
      const r1 = w1Set[f];
      const proxy = giniProxy(w0 - r0, w1 - r1, r0, r1);
      if (proxy > best) {
        best = proxy;
        bestFeature = f;
      }
    }
    if (bestFeature < 0) {
      this.release(h, start, end);
      return null;
    }

    const { samples } = this;
    const { words, wordsPerRow } = this.table;
    const word = bestFeature >>> 5;
    const bit = bestFeature & 31;
    let i = start;
    let j = end;
    while (i < j) {
      const s = samples[i];
      if ((words[s * wordsPerRow + word] >>> bit) & 1) {
        j--;
        samples[i] = samples[j];
        samples[j] = s;
      } else i++;
    }
    this.parent = h;
    return { feature: bestFeature, threshold: 0.5, pos: i };
  }

  children(start: number, pos: number, end: number, splitLeft: boolean, splitRight: boolean): void {
    const h = this.parent!;
    this.parent = null;
    const leftSmaller = pos - start <= end - pos;
    if (splitLeft && splitRight) {
      const [s0, s1, big] = leftSmaller ? [start, pos, pos] : [pos, end, start];
      this.prepared.set(s0, this.add(this.take(), s0, s1));
      this.prepared.set(big, this.remove(h, s0, s1));
    } else if (splitLeft || splitRight) {
      const [c0, c1] = splitLeft ? [start, pos] : [pos, end];
      const [o0, o1] = splitLeft ? [pos, end] : [start, pos];
      if (c1 - c0 <= o1 - o0) {
        this.prepared.set(c0, this.add(this.take(), c0, c1));
        this.release(h, start, end);
      } else this.prepared.set(c0, this.remove(h, o0, o1));
    } else this.release(h, start, end);
  }

  /** Adds samples[start, end) to `h`. */
  private add(h: BitCounts, start: number, end: number): BitCounts {
    const { offsets, indices } = this.table;
    const { samples, weight, y } = this;
    const { count } = h;
    for (let i = start; i < end; i++) {
      const s = samples[i];
      const w = weight[s];
      const hw = y[s] === 1 ? h.w1 : h.w0;
      for (let j = offsets[s], e = offsets[s + 1]; j < e; j++) {
        const b = indices[j];
        count[b]++;
        hw[b] += w;
      }
    }
    return h;
  }

  /**
   * Removes samples[start, end) from `h`. A bit whose count drops to 0 gets exactly zero weight rather than a
   * rounding residue, so a tally zeroed through its samples' bits (`release`) is zeroed everywhere.
   */
  private remove(h: BitCounts, start: number, end: number): BitCounts {
    const { offsets, indices } = this.table;
    const { samples, weight, y } = this;
    const { count, w0, w1 } = h;
    for (let i = start; i < end; i++) {
      const s = samples[i];
      const w = weight[s];
      const hw = y[s] === 1 ? w1 : w0;
      for (let j = offsets[s], e = offsets[s + 1]; j < e; j++) {
        const b = indices[j];
        if (--count[b] === 0) {
          w0[b] = 0;
          w1[b] = 0;
        } else hw[b] -= w;
      }
    }
    return h;
  }

  private take(): BitCounts {
    const n = this.table.nFeatures;
    return this.spare.pop() ?? { count: new Int32Array(n), w0: new Float64Array(n), w1: new Float64Array(n) };
  }

  /** Zeroes `h` (which holds the tallies of samples[start, end)) and keeps it for reuse. */
  private release(h: BitCounts, start: number, end: number): void {
    if (end - start < this.clearByBitsBelow) {
      const { offsets, indices } = this.table;
      for (let i = start; i < end; i++) {
        const s = this.samples[i];
        for (let j = offsets[s], e = offsets[s + 1]; j < e; j++) {
          const b = indices[j];
          h.count[b] = 0;
          h.w0[b] = 0;
          h.w1[b] = 0;
        }
      }
    } else {
      h.count.fill(0);
      h.w0.fill(0);
      h.w1.fill(0);
    }
    this.spare.push(h);
  }
}
