// Subscriptions over WebSocket (graphql-transport-ws at /graphql) with graphql-ws, the client
// Apollo, urql and Relay set ups use: publishing the draft `election-preview` through the
// mutation reaches `articlePublished`, and `articleChanged` for a preview token as well as
// for an anonymous subscriber (to whom the draft was invisible until then).
//
//   CONTENT_API_BIN=../../target/debug/content-api node --test test/subscriptions.mjs
//
// It publishes, so it starts a content-api of its own (fixtures/newsroom.json, in memory)
// rather than using API_URL's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startContentApi } from './content-api.mjs';

const NEWSROOM = fileURLToPath(new URL('../../../fixtures/newsroom.json', import.meta.url));
const DRAFT = 'election-preview';
/** How long an event may take to reach a subscriber. */
const WAIT_MS = 5_000;

/** `promise`, or a failure naming `what` after `ms`. */
function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** POST /graphql, with `token` as a bearer token when given; fails on any error. */
async function gql(api, query, variables = {}, token) {
  const res = await fetch(api.graphql, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (!res.ok || body.errors) throw new Error(`API answered ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

/**
 * A graphql-ws client, resolved once the server has acknowledged it (with `token`, if given,
 * in connectionParams as graphql-ws clients send it). Its `started()` resolves once the server
 * has read every message sent so far: graphql-transport-ws does not confirm a subscription, so
 * a ping sent after the subscribes, answered in order, tells the test they are running.
 */
async function connect(api, token) {
  let socket;
  const client = createClient({
    url: api.graphql.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
    lazy: false,
    retryAttempts: 0,
    on: { connected: (s) => (socket = s) },
  });
  const unlisten = [];
  try {
    await within(
      WAIT_MS,
      new Promise((resolve, reject) => {
        unlisten.push(client.on('connected', resolve));
        unlisten.push(client.on('closed', (e) => reject(new Error(`closed before the ack: ${e.code} ${e.reason}`))));
      }),
      'connection_ack',
    );
  } catch (err) {
    await client.dispose();
    throw err;
  } finally {
    unlisten.forEach((off) => off());
  }
  client.started = async () => {
    await new Promise(setImmediate); // the subscribes graphql-ws has queued go out first
    const pong = new Promise((resolve) => {
      const off = client.on('pong', (received) => received && (off(), resolve()));
    });
    socket.send(JSON.stringify({ type: 'ping' }));
    await within(WAIT_MS, pong, 'pong');
  };
  return client;
}

/** The next result of a `client.iterate()` subscription, which must come within WAIT_MS. */
async function nextOf(subscription, what) {
  const { value, done } = await within(WAIT_MS, subscription.next(), what);
  assert.equal(done, false, `${what} ended before its first result`);
  assert.equal(value.errors, undefined, `${what}: ${JSON.stringify(value.errors)}`);
  return value.data;
}

let api;
const clients = [];

before(async () => {
  api = await startContentApi({
    fixtures: [NEWSROOM],
    tokens: ['ci:write', 'preview:preview'],
  });
});

after(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await api?.stop();
});

test('publishing a draft reaches articlePublished and articleChanged subscribers', async () => {
  // The draft as each reader sees it before: a preview token sees it, the public does not.
  const { article: draft } = await gql(api, `{ article(slug: "${DRAFT}") { id title status } }`, {}, api.tokens.preview);
  assert.equal(draft.status, 'DRAFT');
  assert.equal((await gql(api, `{ article(slug: "${DRAFT}") { id } }`)).article, null);

  const anonymous = await connect(api);
  const preview = await connect(api, api.tokens.preview);
  clients.push(anonymous, preview);
  const published = anonymous.iterate({ query: 'subscription { articlePublished { slug title } }' });
  const changedPublic = anonymous.iterate({
    query: 'subscription Changed($slug: String!) { articleChanged(slug: $slug) { slug status } }',
    variables: { slug: DRAFT },
  });
  const changedPreview = preview.iterate({
    query: `subscription { articleChanged(slug: "${DRAFT}") { slug status } }`,
  });
  await Promise.all([anonymous.started(), preview.started()]);

  const { publishArticle } = await gql(
    api,
    'mutation Publish($id: ID!) { publishArticle(id: $id) { slug status } }',
    { id: draft.id },
    api.tokens.ci,
  );
  assert.deepEqual(publishArticle, { slug: DRAFT, status: 'PUBLISHED' });

  const [a, b, c] = await Promise.all([
    nextOf(published, 'articlePublished'),
    nextOf(changedPreview, 'articleChanged (preview token)'),
    nextOf(changedPublic, 'articleChanged (anonymous)'),
  ]);
  assert.deepEqual(a, { articlePublished: { slug: DRAFT, title: draft.title } });
  assert.deepEqual(b, { articleChanged: { slug: DRAFT, status: 'PUBLISHED' } });
  assert.deepEqual(c, { articleChanged: { slug: DRAFT, status: 'PUBLISHED' } });

  await Promise.all([published.return(), changedPublic.return(), changedPreview.return()]);
});
