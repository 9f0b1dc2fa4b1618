#!/usr/bin/env node
// A zero-dependency static server for the built pages (dist/).
//
//   node serve.mjs [--port N] [--host H] [--root DIR]     (or PORT, HOST, ROOT in the env)
//
// Port 0 picks a free port. The first line on stdout is JSON saying where it listens:
//   {"event":"ready","url":"http://127.0.0.1:PORT"}
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8090' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    root: { type: 'string', default: process.env.ROOT ?? fileURLToPath(new URL('dist', import.meta.url)) },
  },
});
const root = resolve(values.root);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

// Scripts and styles come only from here; the pages may call any http(s) API (`?api=`), and
// the article body, though sanitized by the API, may not run script or load from elsewhere
// other than images.
const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; connect-src 'self' http: https:; img-src 'self' https: data:; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (url.pathname === '/') {
    res.writeHead(302, { location: `/list.html${url.search}` }).end();
    return;
  }
  let path;
  try {
    path = join(root, decodeURIComponent(url.pathname));
  } catch {
    res.writeHead(400).end();
    return;
  }
  const info = path.startsWith(root + sep) ? await stat(path).catch(() => null) : null;
  if (info === null || !info.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...HEADERS }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
    'content-length': info.size,
    ...HEADERS,
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(path).pipe(res);
});

server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address();
  const host = address.includes(':') ? `[${address}]` : address;
  console.log(JSON.stringify({ event: 'ready', url: `http://${host}:${port}`, root }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
