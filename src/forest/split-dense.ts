/**
 * General CART splits for real-valued features: sort the node's samples by a drawn feature and score every
 * threshold between consecutive distinct values, as sklearn's BestSplitter does. It sorts per node and feature, so
 * it is the slow, general path; binary fingerprints use split-binary.ts.
 */
import type { DenseTable } from './features.ts';
import type { Rng } from '../random/rng.ts';
import { FeatureDraw, giniProxy, type NodeSplitter, type Split } from './split.ts';

/** sklearn's FEATURE_THRESHOLD: values closer than this are treated as equal. */
const FEATURE_THRESHOLD = 1e-7;

export class DenseSplitter implements NodeSplitter {
  private readonly sorted: Uint32Array;
  private readonly draw: FeatureDraw;

  constructor(
    private readonly table: DenseTable,
    private readonly y: Uint8Array,
    private readonly samples: Uint32Array,
    private readonly weight: Float64Array,
    private readonly featuresPerNode: number,
    private readonly minSamplesLeaf: number,
  ) {
    this.sorted = new Uint32Array(samples.length);
    this.draw = new FeatureDraw(table.nFeatures);
  }

  split(start: number, end: number, w0: number, w1: number, rng: Rng): Split | null {
    const { values, nFeatures: stride } = this.table;
    const { samples, weight, y } = this;
    const n = end - start;
    const minLeaf = this.minSamplesLeaf;
    let best = -Infinity;
    let bestFeature = -1;
    let bestThreshold = 0;
    this.draw.start();
    for (let visited = 0; visited < this.featuresPerNode || bestFeature < 0; visited++) {
      const f = this.draw.next(rng);
      if (f < 0) break;
      const order = this.sorted.subarray(0, n);
      order.set(samples.subarray(start, end));
      order.sort((a, b) => values[a * stride + f] - values[b * stride + f]);
      if (values[order[n - 1] * stride + f] <= values[order[0] * stride + f] + FEATURE_THRESHOLD) continue; // constant here
      let l0 = 0;
      let l1 = 0;
      for (let p = 1; p < n; p++) {
        const s = order[p - 1];
        if (y[s] === 1) l1 += weight[s];
        else l0 += weight[s];
        const prev = values[s * stride + f];
        const x = values[order[p] * stride + f];
        if (x <= prev + FEATURE_THRESHOLD) continue;
        if (p < minLeaf || n - p < minLeaf) continue;
        const proxy = giniProxy(l0, l1, w0 - l0, w1 - l1);
        if (proxy > best) {
          best = proxy;
          bestFeature = f;
          // Midpoint, unless rounding lands it on the upper value (which would send that sample left too).
          bestThreshold = prev / 2 + x / 2;
          if (bestThreshold === x || !Number.isFinite(bestThreshold)) bestThreshold = prev;
        }
      }
    }
    if (bestFeature < 0) return null;

    let i = start;
    let j = end;
    while (i < j) {
      const s = samples[i];
      if (values[s * stride + bestFeature] > bestThreshold) {
        j--;
        samples[i] = samples[j];
        samples[j] = s;
      } else i++;
    }
    return { feature: bestFeature, threshold: bestThreshold, pos: i };
  }

  children(): void {} // every node sorts afresh; nothing carries over from the parent
}
