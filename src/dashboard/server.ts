/**
 * The live dashboard's server (optuna-dashboard is the model): node:http on 127.0.0.1 only, no framework, reading a
 * study store on every request so what it shows is what a running search has written. Routes:
 *
 *   /                          the list of studies (page)            /api/studies               the list (JSON)
 *   /study/NAME                one study as it runs (page)           /api/study/NAME            spec and trials (JSON)
 *   /api/study/NAME?summary=1  counts, best trial, a version stamp   /api/study/NAME/charts     the charts, SVG in JSON
 *
 * The charts come from src/report/trial-charts.ts, so the page and the study report draw the same pictures. A
 * missing study is a 404 whose message names it and the studies there are; a store problem a 500 with its message.
 * A request whose Host is not a loopback name with this port is a 403 (DNS rebinding); the store's URL it shows
 * is the store's `url`, whose passwords are masked (src/hpo/store-url.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StoreError, StudyNotFoundError, type StudyStore } from '../hpo/store.ts';
import { TRIAL_STATES, objectiveValue, type TrialState } from '../hpo/trial.ts';
import { bestTrial, studyCharts } from '../report/trial-charts.ts';
import { studiesPage, studyPage } from './page.ts';

export interface DashboardOptions {
  store: StudyStore;
  /** 0 picks a free port. Default 8080. */
  port?: number;
  /** How often the pages poll, ms (default 1500). */
  refreshMs?: number;
}

export interface Dashboard {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const refreshMs = o.refreshMs ?? 1500;
  const server = createServer((req, res) => {
    const refused = hostRefusal(req.headers.host, (server.address() as AddressInfo).port);
    if (refused) return send(res, 403, 'application/json', JSON.stringify({ error: refused }));
    handle(o.store, refreshMs, req, res).catch((e) => send(res, e instanceof StudyNotFoundError ? 404 : 500, 'application/json', JSON.stringify({ error: message(e) })));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new StoreError(e.code === 'EADDRINUSE' ? `port ${o.port ?? 8080} on 127.0.0.1 is in use (EADDRINUSE); choose another with --port` : `cannot listen on 127.0.0.1:${o.port ?? 8080} (${e.code ?? e.message})`)));
    server.listen(o.port ?? 8080, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function handle(store: StudyStore, refreshMs: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname;
  if (req.method !== 'GET') return send(res, 405, 'application/json', JSON.stringify({ error: `${req.method} is not served; the dashboard only reads` }));
  if (path === '/') return send(res, 200, 'text/html; charset=utf-8', studiesPage(store.url, refreshMs));
  if (path === '/api/studies') {
    const studies = await store.listStudies();
    return json(res, { storage: store.url, studies: studies.map(({ spec, ...s }) => ({ ...s, objective: spec.objective, nTrials: spec.nTrials ?? null })) });
  }
  let m = /^\/study\/([^/]+)$/.exec(path);
  if (m) {
    const study = await store.loadStudy(decodeURIComponent(m[1]));
    return send(res, 200, 'text/html; charset=utf-8', studyPage(study.name, store.url, refreshMs));
  }
  m = /^\/api\/study\/([^/]+)(\/charts)?$/.exec(path);
  if (m) {
    const study = await store.loadStudy(decodeURIComponent(m[1]));
    const rows = await store.trialRows(study);
    const trials = rows.map((r) => r.record);
    if (m[2]) return json(res, { charts: studyCharts(trials, study.spec.space, study.spec.objective) });
    if (url.searchParams.has('summary')) {
      const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, 0])) as Record<TrialState, number>;
      for (const t of trials) counts[t.state]++;
      const best = bestTrial(trials, study.spec.objective);
      const intermediate = trials.reduce((n, t) => n + t.intermediate.length, 0);
      return json(res, {
        study: study.spec,
        trials: trials.length,
        counts,
        best: best && { id: best.id, value: objectiveValue(best, study.spec.objective), params: best.params, budget: best.budget, seconds: best.seconds },
        version: `${trials.length}:${intermediate}:${Math.max(0, ...rows.map((r) => r.updatedAt))}`,
      });
    }
    return json(res, { study: study.spec, createdAt: study.createdAt, trials: rows.map((r) => ({ ...r.record, attempts: r.attempts, worker: r.worker, updatedAt: r.updatedAt })) });
  }
  send(res, 404, 'application/json', JSON.stringify({ error: `no such page: ${path}` }));
}

/**
 * DNS rebinding: a page on evil.example can point its name at 127.0.0.1 and read this server as same-origin, but its
 * requests still carry Host: evil.example. Only the loopback names, with this server's port, are answered.
 */
export function hostRefusal(host: string | undefined, port: number): string | null {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  const ok = host !== undefined && names.some((n) => host.toLowerCase() === `${n}:${port}` || (port === 80 && host.toLowerCase() === n));
  if (ok) return null;
  const shown = host === undefined ? 'no Host header' : `Host "${host.slice(0, 100).replace(/[^\x20-\x7e]/g, '?')}"`;
  return `${shown} is not this dashboard's loopback address (${names.map((n) => `${n}:${port}`).join(', ')}); refused against DNS rebinding`;
}

function json(res: ServerResponse, body: unknown): void {
  // NaN and ±Infinity are not JSON: they go as null, which the page shows as "—".
  send(res, 200, 'application/json', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
