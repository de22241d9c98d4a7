/**
 * `npm run bench`: the kernel benchmarks on the current adapter, as a table or (--json) one JSON object.
 * Grows into the full suite (elementwise GB/s, training step, peers) with the benchmark issue.
 */
import { parseArgs } from 'node:util';
import { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { adapterName } from '../src/gpu/adapter-info.ts';
import { benchMatmul, printMatmul } from './matmul.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, filter: { type: 'string' } }, strict: true });
const g = await WebGpuBackend.create();
const results = [];
if (!values.filter || 'matmul'.includes(values.filter)) results.push(...(await benchMatmul(g)));
if (values.json) console.log(JSON.stringify({ adapter: g.info, results }, null, 2));
else printMatmul(adapterName(g.info), results);
g.rt.destroy();
