/**
 * The bench page: runs src/perf/matmul.ts — the code `npm run bench` runs in Node — on this browser's WebGPU adapter
 * and shows a table and the JSON. scripts/bench-browser.mjs opens it headless with ?run=1 and reads
 * `window.__bench` (state 'done' or 'error', and the JSON) to print it.
 */
import '../src/browser/register-shaders.ts';
import { benchMatmul, MATMUL_SHAPES, type MatmulResult } from '../src/perf/matmul.ts';
import { WebGpuBackend } from '../src/backend/webgpu/webgpu-backend.ts';
import { adapterName, type AdapterSummary } from '../src/gpu/adapter-info.ts';

export interface BrowserBenchResult {
  adapter: AdapterSummary;
  adapterName: string;
  userAgent: string;
  results: MatmulResult[];
}

const bench: { state: 'idle' | 'running' | 'done' | 'error'; result: BrowserBenchResult | null; error: string | null } = { state: 'idle', result: null, error: null };
Object.assign(globalThis, { __bench: bench });

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);

function shapes(): [number, number, number][] {
  const raw = params.get('shapes');
  if (!raw) return MATMUL_SHAPES;
  return raw.split(',').map((s) => {
    const dims = s.split('x').map(Number);
    if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`?shapes: "${s}" is not m x k x n with positive integers, e.g. 64x64x64`);
    return dims as [number, number, number];
  });
}

async function run(): Promise<void> {
  if (bench.state === 'running') return;
  bench.state = 'running';
  document.body.dataset.state = 'running';
  ($('run') as HTMLButtonElement).disabled = true;
  $('error').hidden = true;
  const tbody = ($('table') as HTMLTableElement).tBodies[0];
  tbody.replaceChildren();
  let g: WebGpuBackend | null = null;
  try {
    const list = shapes();
    $('status').textContent = 'opening the WebGPU device…';
    g = await WebGpuBackend.create();
    $('adapter').textContent = adapterName(g.info);
    $('status').textContent = `timing ${list.length} shape${list.length > 1 ? 's' : ''}…`;
    const results = await benchMatmul(g, list, {
      onResult: (r) => {
        const tr = tbody.insertRow();
        for (const v of [r.kernel, r.shape, num(r.gflops), num(r.ms.median), num(r.ms.min), num(r.ms.max), r.readbackMs ? num(r.readbackMs.median) : '—', r.note ?? '']) tr.insertCell().textContent = v;
        $('status').textContent = `timed ${r.shape}`;
      },
    });
    bench.result = { adapter: g.info, adapterName: adapterName(g.info), userAgent: navigator.userAgent, results };
    $('json').textContent = JSON.stringify(bench.result, null, 2);
    $('status').textContent = 'done';
    bench.state = 'done';
  } catch (e) {
    bench.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    $('error').textContent = bench.error;
    $('error').hidden = false;
    $('status').textContent = 'failed';
    bench.state = 'error';
  } finally {
    g?.rt.destroy();
    document.body.dataset.state = bench.state;
    ($('run') as HTMLButtonElement).disabled = false;
  }
}

function num(v: number): string {
  return Number.isNaN(v) ? '—' : v.toFixed(3);
}

$('run').addEventListener('click', () => void run());
if (params.get('run') === '1') void run();
