/**
 * Peers: PyTorch (CPU) and numpy, run by /usr/bin/python3 (or $PYTHON) in a child process — the same matmul shapes
 * in float32, and for PyTorch the training steps of the networks asked for (the book's: nn.Linear 1024→50, ReLU,
 * dropout 0.5, Linear 50→1, BCEWithLogits weighted and summed, Adam; the 12-task one: 1024→500→12, batch 50) over
 * an epoch of synthetic bits shaped like ours, at 1 and at 2 threads (torch.set_num_threads). When python or a module
 * is missing the peer is reported as not measured, with the reason (CI machines have neither). Node-only.
 */
import { spawnSync } from 'node:child_process';
import type { MatmulCase } from '../matmul.ts';
import { caseLabel } from '../matmul.ts';
import type { BenchResult, PeerStatus } from '../result.ts';
import { BOOK_NET, STEP_SHAPE, stepShape, stepsPerEpoch, type NetSpec } from '../train-step.ts';

/** A training step to time in PyTorch: the benchmark kernel it belongs to and its network. */
export interface PeerNet {
  kernel: string;
  net: NetSpec;
}

/** PyTorch's thread counts for the training steps: one thread each, and two (the 2-thread comparison). */
export const PEER_THREADS = [1, 2];

/**
 * Reads {cases, nets, threads, rounds} as JSON from argv[1]; prints one JSON line {torch, numpy} of timings in ms
 * (torch.steps: one entry per network and thread count).
 */
const SCRIPT = String.raw`
import json, sys, time
cfg = json.loads(sys.argv[1])
out = {}
def timed(fn, rounds):
    fn()
    ts = []
    for _ in range(rounds):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1000)
    return ts
def mm_cases(lib, rand, matmul):
    res = []
    for c in cfg['cases']:
        a = rand((c['k'], c['m']) if c.get('transA') else (c['m'], c['k']))
        b = rand((c['n'], c['k']) if c.get('transB') else (c['k'], c['n']))
        A = a.T if c.get('transA') else a
        B = b.T if c.get('transB') else b
        flop = 2 * c['m'] * c['k'] * c['n']
        reps = max(1, min(50, int(2e8 / flop)))
        def run():
            for _ in range(reps): matmul(A, B)
        res.append([t / reps for t in timed(run, cfg['rounds'])])
    return res
try:
    import numpy as np
    out['numpy'] = {'version': np.__version__, 'matmul': mm_cases('numpy', lambda s: np.random.standard_normal(s).astype(np.float32), np.matmul)}
except ImportError as e:
    out['numpy'] = {'error': str(e)}
try:
    import torch
    threads = torch.get_num_threads()
    mm = mm_cases('torch', lambda s: torch.randn(*s), torch.matmul)
    steps = []
    for spec in cfg['nets']:
        net = spec['net']
        rows, bits, hidden, outputs, batch = net['rows'], net['bits'], net['hidden'], net['outputs'], net['batch']
        g = torch.Generator().manual_seed(1)
        X = (torch.rand(rows, bits, generator=g) < net['density']).float()
        y = (torch.rand(rows, outputs, generator=g) < 0.04).float()
        w = torch.where(y > 0, (rows - y.sum(0)) / y.sum(0).clamp(min=1), torch.ones_like(y))
        for t in cfg['threads']:
            torch.set_num_threads(t)
            torch.manual_seed(0)
            model = torch.nn.Sequential(torch.nn.Linear(bits, hidden), torch.nn.ReLU(), torch.nn.Dropout(1 - net['keep']), torch.nn.Linear(hidden, outputs))
            opt = torch.optim.Adam(model.parameters(), lr=0.001)
            def epoch():
                for s in range(0, rows, batch):
                    xb, yb, wb = X[s:s + batch], y[s:s + batch], w[s:s + batch]
                    opt.zero_grad()
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(xb), yb, weight=wb, reduction='sum')
                    loss.backward()
                    opt.step()
            steps.append({'kernel': spec['kernel'], 'threads': torch.get_num_threads(), 'epoch': timed(epoch, cfg['rounds'])})
        torch.set_num_threads(threads)
    out['torch'] = {'version': torch.__version__, 'threads': threads, 'matmul': mm, 'steps': steps}
except ImportError as e:
    out['torch'] = {'error': str(e)}
print(json.dumps(out))
`;

interface PythonOut {
  numpy?: { version?: string; error?: string; matmul?: number[][] };
  torch?: { version?: string; error?: string; threads?: number; matmul?: number[][]; steps?: { kernel: string; threads: number; epoch: number[] }[] };
}

export function runPythonPeers(cases: MatmulCase[], opts: { rounds?: number; timeoutSeconds?: number; nets?: PeerNet[] } = {}): { status: PeerStatus[]; results: BenchResult[] } {
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const missing = (why: string) => ({
    status: ['pytorch-cpu', 'numpy'].map((impl) => ({ impl, available: false, note: `NOT MEASURED: ${why}` })),
    results: [],
  });
  const nets = opts.nets ?? [{ kernel: 'train-step', net: BOOK_NET }];
  const cfg = { cases, rounds: opts.rounds ?? 3, nets, threads: PEER_THREADS };
  const run = spawnSync(python, ['-c', SCRIPT, JSON.stringify(cfg)], { encoding: 'utf8', timeout: (opts.timeoutSeconds ?? 240) * 1000, maxBuffer: 1 << 22 });
  if (run.error) return missing(`${python} could not run (${run.error.message})`);
  if (run.status !== 0) return missing(`the python script failed: ${run.stderr.trim().split('\n').slice(-2).join(' / ')}`);
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as PythonOut;
  const status: PeerStatus[] = [];
  const results: BenchResult[] = [];
  const stats = (ms: number[]) => {
    const s = [...ms].sort((a, b) => a - b);
    return { median: s[(s.length - 1) >> 1], min: s[0], max: s[s.length - 1] };
  };
  const matmulRows = (impl: string, mm: number[][], note: string) => {
    cases.forEach((c, i) => {
      const ms = stats(mm[i]);
      results.push({ kernel: 'matmul', shape: caseLabel(c), impl, gflops: (2 * c.m * c.k * c.n) / (ms.median * 1e6), ms, runs: mm[i].length, note });
    });
  };
  for (const [key, impl] of [['torch', 'pytorch-cpu'], ['numpy', 'numpy']] as const) {
    const o = out[key];
    if (!o || o.error) {
      status.push({ impl, available: false, note: `NOT MEASURED: ${python} cannot import ${key} (${o?.error ?? 'no output'}); on Debian: apt-get install python3-${key}` });
      continue;
    }
    const note = key === 'torch' ? `torch ${o.version}, ${(o as PythonOut['torch'])!.threads} CPU thread(s) (its default here)` : `numpy ${o.version}`;
    status.push({ impl, available: true, version: o.version, note });
    matmulRows(impl, o.matmul!, note);
    for (const st of key === 'torch' ? (out.torch?.steps ?? []) : []) {
      const net = nets.find((n) => n.kernel === st.kernel)!.net, steps = stepsPerEpoch(net);
      const e = stats(st.epoch);
      const per = { median: e.median / steps, min: e.min / steps, max: e.max / steps };
      results.push({
        kernel: st.kernel, shape: stepShape(net), impl, backend: 'cpu', threads: st.threads, msPerStep: per.median, ms: per, runs: st.epoch.length,
        note: `torch ${o.version}, ${st.threads} CPU thread(s); dense input; epoch of ${steps} steps timed whole = ${(e.median / 1000).toFixed(3)} s`,
      });
    }
  }
  return { status, results };
}

/**
 * The population step written by hand in PyTorch, as a user would without shadergrad: stacked weights [M, …], one
 * broadcast matmul per layer, per-model dropout masks, one weighted BCE summed over models, one Adam (one learning
 * rate for all). Reads {sizes, net, steps, rounds}; prints {version, threads, ms: {M: [ms per step, …]}}.
 */
const POPULATION_SCRIPT = String.raw`
import json, sys, time
cfg = json.loads(sys.argv[1])
try:
    import torch
except ImportError as e:
    print(json.dumps({'error': str(e)})); sys.exit(0)
net = cfg['net']
rows, bits, hidden, batch, keep = net['rows'], net['bits'], net['hidden'], net['batch'], net['keep']
g = torch.Generator().manual_seed(1)
X = (torch.rand(rows, bits, generator=g) < net['density']).float()
y = (torch.rand(rows, 1, generator=g) < 0.04).float()
w = torch.where(y > 0, (rows - y.sum()) / y.sum(), torch.ones_like(y))
out = {'version': torch.__version__, 'threads': torch.get_num_threads(), 'ms': {}}
for M in cfg['sizes']:
    W1 = torch.randn(M, bits, hidden, generator=g).requires_grad_()
    b1 = torch.randn(M, 1, hidden, generator=g).requires_grad_()
    W2 = torch.randn(M, hidden, 1, generator=g).requires_grad_()
    b2 = torch.randn(M, 1, 1, generator=g).requires_grad_()
    opt = torch.optim.Adam([W1, b1, W2, b2], lr=0.001)
    state = {'s': 0}
    def step():
        s = state['s']; state['s'] = (s + batch) % rows
        xb, yb, wb = X[s:s + batch], y[s:s + batch], w[s:s + batch]
        opt.zero_grad()
        h = torch.relu(torch.matmul(xb, W1) + b1)
        mask = (torch.rand(h.shape) < keep).float() / keep
        logits = torch.matmul(h * mask, W2) + b2
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yb.expand(M, -1, -1), weight=wb.expand(M, -1, -1), reduction='sum')
        loss.backward()
        opt.step()
    for _ in range(2): step()
    ts = []
    for _ in range(cfg['rounds']):
        t0 = time.perf_counter()
        for _ in range(cfg['steps']): step()
        ts.append((time.perf_counter() - t0) * 1000 / cfg['steps'])
    out['ms'][str(M)] = ts
print(json.dumps(out))
`;

export function runPythonPopulation(sizes: number[], opts: { steps?: number; rounds?: number; timeoutSeconds?: number } = {}): { status: PeerStatus[]; results: BenchResult[] } {
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const impl = 'pytorch-cpu';
  const missing = (why: string) => ({ status: [{ impl, available: false, note: `NOT MEASURED (population): ${why}` }], results: [] });
  const cfg = { sizes, net: BOOK_NET, steps: opts.steps ?? 10, rounds: opts.rounds ?? 2 };
  const run = spawnSync(python, ['-c', POPULATION_SCRIPT, JSON.stringify(cfg)], { encoding: 'utf8', timeout: (opts.timeoutSeconds ?? 300) * 1000, maxBuffer: 1 << 22 });
  if (run.error) return missing(`${python} could not run (${run.error.message})`);
  if (run.status !== 0) return missing(`the python script failed: ${run.stderr.trim().split('\n').slice(-2).join(' / ')}`);
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { error?: string; version?: string; threads?: number; ms?: Record<string, number[]> };
  if (out.error) return missing(`${python} cannot import torch (${out.error}); on Debian: apt-get install python3-torch`);
  const note = `torch ${out.version}, ${out.threads} CPU thread(s); stacked weights, broadcast matmuls, per-model dropout masks, one Adam (one learning rate); dense input; ${cfg.steps} steps timed`;
  const results: BenchResult[] = sizes.map((models) => {
    const s = [...out.ms![String(models)]].sort((a, b) => a - b);
    const ms = { median: s[(s.length - 1) >> 1], min: s[0], max: s[s.length - 1] };
    return { kernel: 'population', shape: `${models} × (${STEP_SHAPE})`, impl, backend: 'cpu' as const, threads: out.threads ?? null, models, msPerStep: ms.median, modelStepsPerSecond: (models * 1000) / ms.median, ms, runs: s.length, note };
  });
  return { status: [{ impl, available: true, version: out.version, note }], results };
}
