/** CPU twin of shaders/matmul.wgsl: C[b] = act(op(A[b])·op(B[b]) + bias[b]), accumulated in float64. */
import type { MatmulSpec } from '../backend.ts';
import type { Floats } from './storage.ts';
import { applyActivation } from './elementwise.ts';

export function matmulCpu(a: Floats, b: Floats, bias: Floats | null, s: MatmulSpec, out: Floats): void {
  const { batch, m, k, n } = s;
  const sa = s.batchA === false ? 0 : m * k;
  const sb = s.batchB === false ? 0 : k * n;
  const sbias = s.batchBias ? n : 0;
  const act = s.activation ?? 'none';
  const row = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * sa, bo = bi * sb, co = bi * m * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = s.transA ? a[ao + p * m + i] : a[ao + i * k + p];
        if (av === 0) continue;
        if (s.transB) for (let j = 0; j < n; j++) row[j] += av * b[bo + j * k + p];
        else {
          const bro = bo + p * n;
          for (let j = 0; j < n; j++) row[j] += av * b[bro + j];
        }
      }
      for (let j = 0; j < n; j++) {
        const v = row[j] + (bias ? bias[bi * sbias + j] : 0);
        out[co + i * n + j] = applyActivation(act, v);
      }
    }
  }
}
