// Webhooks: a receiver added with `content-api webhook add` gets one signed delivery when the
// draft `election-preview` is published, and checks it with verifyWebhook
// (test/verify-webhook.mjs, the README's snippet) as a receiver in production would.
//
//   CONTENT_API_BIN=../../target/debug/content-api node --test test/webhooks.mjs
//
// The CLI and the server must share a database, so this starts a content-api of its own on a
// SQLite file in a temporary directory (fixtures/newsroom.json), rather than using API_URL's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startContentApi } from './content-api.mjs';
import { verifyWebhook } from './verify-webhook.mjs';

const BINARY = process.env.CONTENT_API_BIN ?? 'content-api';
const NEWSROOM = fileURLToPath(new URL('../../../fixtures/newsroom.json', import.meta.url));
const DRAFT = 'election-preview';
const SECRET = 'whsec-example-web-0123456789';
/** How long a delivery may take to arrive, and then how long to watch for a second one. */
const WAIT_MS = 5_000;
const QUIET_MS = 1_500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** POST /graphql with a bearer token; fails on any error. */
async function gql(api, query, variables, token) {
  const res = await fetch(api.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (!res.ok || body.errors) throw new Error(`API answered ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

/**
 * A webhook receiver on a free port: every request, with its raw body and whether it verified
 * with SECRET, is kept in `deliveries`. It answers 204 to a verified delivery, else 401.
 */
async function startReceiver() {
  const deliveries = [];
  let arrived = () => {};
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks);
    const verified = verifyWebhook(SECRET, req.headers['content-api-signature'], rawBody);
    deliveries.push({ method: req.method, url: req.url, headers: req.headers, rawBody, verified });
    res.writeHead(verified ? 204 : 401).end();
    arrived();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/content-api`,
    deliveries,
    /** Resolves once `n` deliveries have arrived. */
    received: (n) =>
      new Promise((resolve) => {
        arrived = () => deliveries.length >= n && resolve();
        arrived();
      }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

let dir;
let database;
let api;
let receiver;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'content-api-webhooks-'));
  database = `sqlite://${join(dir, 'content.db')}?mode=rwc`;
  api = await startContentApi({ fixtures: [NEWSROOM], tokens: ['ci:write'], database });
  receiver = await startReceiver();
});

after(async () => {
  await api?.stop();
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('verifyWebhook checks the signature the API documents', () => {
  // The server's own test vector (content/src/webhooks/signature.rs), computed with Python's hmac.
  const header = 't=1700000000,v1=dffd766625703a24cf1372ad330522ed79232e74b5bfbc0386e5cfe387ac2e59';
  const body = '{"id":"x"}';
  assert.equal(verifyWebhook('secret-one-1234567', header, body, Infinity), true);
  assert.equal(verifyWebhook('secret-one-1234567', header, Buffer.from(body), Infinity), true);
  assert.equal(verifyWebhook('secret-two-1234567', header, body, Infinity), false, 'another secret');
  assert.equal(verifyWebhook('secret-one-1234567', header, '{"id":"y"}', Infinity), false, 'another body');
  assert.equal(verifyWebhook('secret-one-1234567', header, body), false, 'a timestamp from 2023 is stale');
  assert.equal(verifyWebhook('secret-one-1234567', undefined, body, Infinity), false, 'no header');
});

test('publishing a draft sends one signed article.published delivery', async () => {
  const { stdout } = await promisify(execFile)(BINARY, [
    'webhook', 'add',
    '--database-url', database,
    '--url', receiver.url,
    '--events', 'article.published',
    '--secret', SECRET,
  ], { env: { RUST_LOG: 'warn', ...process.env } });
  const printed = Object.fromEntries([...stdout.matchAll(/^(id|secret): (\S+)$/gm)].map(([, key, value]) => [key, value]));
  assert.match(printed.id ?? '', /^[0-9a-f-]{36}$/, `webhook add printed: ${stdout}`);
  assert.equal(printed.secret, SECRET);

  const { article } = await gql(api, `{ article(slug: "${DRAFT}") { id status } }`, {}, api.tokens.ci);
  assert.equal(article.status, 'DRAFT');
  await gql(api, 'mutation Publish($id: ID!) { publishArticle(id: $id) { status } }', { id: article.id }, api.tokens.ci);

  let timer;
  await Promise.race([
    receiver.received(1),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no delivery within ${WAIT_MS} ms`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  await sleep(QUIET_MS); // a second delivery (a retry, a duplicate) would arrive by now
  assert.equal(receiver.deliveries.length, 1, 'exactly one delivery');

  const [delivery] = receiver.deliveries;
  const signature = delivery.headers['content-api-signature'];
  assert.equal(delivery.method, 'POST');
  assert.equal(delivery.url, new URL(receiver.url).pathname);
  assert.match(delivery.headers['content-type'], /^application\/json/);
  assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.equal(delivery.verified, true, 'verifies with the secret');
  assert.equal(verifyWebhook(SECRET, signature, delivery.rawBody), true);
  assert.equal(verifyWebhook('whsec-some-other-secret-0000', signature, delivery.rawBody), false, 'another secret');

  const event = JSON.parse(delivery.rawBody.toString('utf8'));
  assert.equal(event.type, 'article.published');
  assert.equal(event.slug, DRAFT);
  assert.equal(delivery.headers['content-api-event'], 'article.published');
  assert.equal(delivery.headers['content-api-event-id'], event.id);
  assert.ok(delivery.headers['content-api-delivery'], 'a Content-Api-Delivery header');
});
