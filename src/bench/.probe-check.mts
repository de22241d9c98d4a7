import { WebGpuBackend } from '../backend/webgpu/webgpu-backend.ts';
import { checkMatmulKernels, checkConfigs } from './gpu-check.ts';
import { choiceLabel } from '../backend/webgpu/matmul-tune.ts';
const g = await WebGpuBackend.create();
console.log(checkConfigs(g).map(choiceLabel).join(' | '));
const t0 = performance.now();
const rows = await checkMatmulKernels(g, (r) => { if (!r.ok) console.log('BAD', r); });
console.log(rows.length, 'rows', rows.filter((r) => r.ok).length, 'ok', ((performance.now() - t0) / 1000).toFixed(1), 's');
process.exit(0);
