// What the browser tests share: the API and web origins, Debian's Chromium with everything
// but those two origins cut off, and a watch on each page for errors and stray requests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const DEMO_SLUG = 'the-great-linux-debate-rusts-place-in-the-kernel';
export const DEMO_TITLE = "The Great Linux Debate: Rust's Place in the Kernel";

/** The content-api server under test (`API_URL`), already running. */
export function apiUrl() {
  const url = process.env.API_URL;
  if (!url) throw new Error('Set API_URL to a running content-api server, e.g. API_URL=http://127.0.0.1:8080');
  return new URL(url).origin;
}

/** Asks the API directly from Node (for the expected values), failing on any error. */
export async function gql(query, variables = {}) {
  const res = await fetch(`${apiUrl()}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (!res.ok || body.errors) throw new Error(`API answered ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

/**
 * The static server for the pages: `WEB_URL` when set, else serve.mjs started here on a
 * free port (and stopped by `stop()`).
 */
export async function startWeb() {
  if (process.env.WEB_URL) return { url: new URL(process.env.WEB_URL).origin, stop: async () => {} };
  if (!existsSync(fileURLToPath(new URL('../dist/article.js', import.meta.url)))) {
    throw new Error('dist/ is not built: run `npm run build` first');
  }
  const serve = fileURLToPath(new URL('../serve.mjs', import.meta.url));
  const child = spawn(process.execPath, [serve, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`serve.mjs exited with ${code}`))),
  ]);
  const ready = JSON.parse(first);
  if (ready.event !== 'ready') throw new Error(`serve.mjs said ${first}`);
  return {
    url: ready.url,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/**
 * Launches Chromium (`CHROMIUM_PATH`, default Debian's /usr/bin/chromium) so that only the
 * given origins' hosts are reachable: every other request goes to a proxy that refuses it
 * and records it.
 *
 * Why a proxy and not `page.route('**', abort)`: while any route is set, Playwright answers
 * CORS preflights itself (a 204 allowing everything), so the API's own CORS would go
 * untested. The proxy keeps the browser's traffic to the API untouched.
 */
export async function launch(origins) {
  const refused = [];
  const proxy = createServer((req, res) => {
    refused.push(req.url);
    res.writeHead(403).end();
  });
  proxy.on('connect', (req, socket) => {
    refused.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const hosts = [...new Set(origins.map((o) => new URL(o).hostname))];
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
      proxy: { server: `http://127.0.0.1:${proxy.address().port}`, bypass: hosts.join(',') },
    });
  } catch (err) {
    proxy.close(); // else its listening socket keeps the test process alive: a hang, not a failure
    throw err;
  }
  return {
    browser,
    /** What reached the refusing proxy (the browser's own traffic as well as pages'). */
    refused,
    close: async () => {
      await browser.close();
      proxy.close();
    },
  };
}

/**
 * Records what a page does: console errors, uncaught exceptions, failed requests, requests
 * to origins other than `origins`, and every request with its headers and its answer.
 * `problems()` lists what should fail a test.
 */
export function watch(page, origins) {
  const allowed = new Set(origins);
  const seen = { console: [], pageErrors: [], failed: [], foreign: [], requests: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.console.push(msg.text());
  });
  page.on('pageerror', (err) => seen.pageErrors.push(String(err)));
  page.on('requestfailed', (req) => seen.failed.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol !== 'data:' && !allowed.has(url.origin)) seen.foreign.push(`${req.method()} ${req.url()}`);
  });
  page.on('requestfinished', async (req) => {
    const response = await req.response();
    seen.requests.push({
      method: req.method(),
      url: req.url(),
      headers: await req.allHeaders(),
      status: response?.status() ?? null,
    });
  });
  return {
    seen,
    problems: () => [
      ...seen.console.map((m) => `console error: ${m}`),
      ...seen.pageErrors.map((m) => `page error: ${m}`),
      ...seen.failed.map((m) => `request failed: ${m}`),
      ...seen.foreign.map((m) => `request to another origin: ${m}`),
    ],
  };
}

/**
 * Watches the page's network at the DevTools-protocol level, which (unlike Playwright's
 * request events) reports CORS preflights: the OPTIONS requests and their status.
 */
export async function watchPreflights(page) {
  const preflights = new Map();
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.type === 'Preflight' || e.initiator?.type === 'preflight') {
      preflights.set(e.requestId, { url: e.request.url, method: e.request.method, headers: e.request.headers, status: null });
    }
  });
  cdp.on('Network.responseReceived', (e) => {
    const p = preflights.get(e.requestId);
    if (p) {
      p.status = e.response.status;
      p.responseHeaders = e.response.headers;
    }
  });
  cdp.on('Network.loadingFailed', (e) => {
    const p = preflights.get(e.requestId);
    if (p) p.error = e.errorText;
  });
  await cdp.send('Network.enable');
  return () => [...preflights.values()];
}
