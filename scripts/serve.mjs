#!/usr/bin/env node
/**
 * `npm run serve [-- PORT]`: serves dist/ (after `npm run build`) on 127.0.0.1 — the training page at /web/, the
 * bench page at /web/bench.html. A browser grants WebGPU only to secure contexts, and http://127.0.0.1 is one, so
 * the pages need no certificate. Static files only, with the MIME types module workers and wasm require. Exported as
 * `serve()` for the browser tests, which add routes for test data rather than copying data into dist/.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
  '.gz': 'application/gzip',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Starts the server; `port` 0 picks a free one. `routes` maps extra paths to bodies (tests serve data from memory).
 * Resolves once listening, with the base URL and `close()`.
 */
export function serve({ root = join(ROOT, 'dist'), port = 8080, host = '127.0.0.1', routes = {} } = {}) {
  const base = resolve(root);
  if (!existsSync(join(base, 'shadergrad.browser.js'))) {
    return Promise.reject(new Error(`${base} has no shadergrad.browser.js: run \`npm run build\` first`));
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET and HEAD');
    const route = routes[path];
    if (route !== undefined) {
      const body = typeof route === 'string' || route instanceof Uint8Array ? { body: route } : route;
      res.writeHead(body.status ?? 200, { 'content-type': body.type ?? TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      return res.end(req.method === 'HEAD' ? undefined : body.body);
    }
    if (path === '/') return redirect(res, '/web/');
    let file = resolve(base, `.${path}`);
    if (file !== base && !file.startsWith(base + sep)) return send(res, 403, 'outside the served folder');
    if (existsSync(file) && statSync(file).isDirectory()) {
      if (!path.endsWith('/')) return redirect(res, `${path}/`);
      file = join(file, 'index.html');
    }
    if (!existsSync(file) || !statSync(file).isFile()) return send(res, 404, `not found: ${path}`);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  // Keep-alive sockets would hold close() open; track them so close() ends them.
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', (e) => reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is in use; pass another port`) : e));
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolvePromise({
        url: `http://${host}:${actual}`,
        port: actual,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function send(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

function redirect(res, location) {
  res.writeHead(302, { location });
  res.end();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portArg = args.find((a) => !a.startsWith('--'));
  const rootArg = args.find((a) => a.startsWith('--root='))?.slice('--root='.length);
  const port = portArg === undefined ? 8080 : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || args.some((a) => a.startsWith('--') && !a.startsWith('--root='))) {
    process.stderr.write('usage: node scripts/serve.mjs [PORT] [--root=DIR]   (default 8080, dist/)\n');
    process.exit(2);
  }
  try {
    const s = await serve({ port, root: rootArg ? resolve(rootArg) : undefined });
    process.stdout.write(`serving ${rootArg ?? 'dist'} at ${s.url}/  — training page ${s.url}/web/  · bench ${s.url}/web/bench.html\n`);
  } catch (e) {
    process.stderr.write(`serve: ${e.message}\n`);
    process.exit(1);
  }
}
