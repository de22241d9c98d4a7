/** What layers share: parameters to optimize, a train/eval switch, and release of their GPU buffers. */
import type { Tensor } from '../autograd/tensor.ts';

export interface Module {
  forward(x: Tensor): Tensor;
  parameters(): Tensor[];
  /** Training mode turns dropout on; eval mode (the default after `eval()`) turns it off. */
  train(on?: boolean): this;
  dispose(): void;
}
