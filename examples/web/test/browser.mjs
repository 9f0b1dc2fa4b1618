// The example pages in Chromium against a running content-api (API_URL), served from another
// origin (WEB_URL, or serve.mjs started here), so every call to the API is cross-origin.
// Expected values come from the API itself, asked from Node.
//
//   API_URL=http://127.0.0.1:8080 node --test test/browser.mjs
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DEMO_SLUG, DEMO_TITLE, apiUrl, gql, launch, startWeb, watch, watchPreflights } from './support.mjs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const TRACEPARENT = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-01$/;

let api;
let web;
let chrome;

before(async () => {
  api = apiUrl();
  web = await startWeb();
  assert.notEqual(api, web.url, 'the API and the pages must be on different origins');
  chrome = await launch([api, web.url]);
});

after(async () => {
  await chrome?.close();
  await web?.stop();
});

/**
 * Opens a page of the site in a fresh browser context (so nothing is cached, not even a
 * preflight) and waits until it has rendered or shown an error.
 */
async function open(path, params = {}, apiOverride = api) {
  const context = await chrome.browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const watcher = watch(page, [api, web.url]);
  const preflights = await watchPreflights(page);
  await page.goto(pageUrl(path, params, apiOverride));
  await settled(page);
  return { page, watcher, preflights, close: () => context.close() };
}

function pageUrl(path, params, apiOrigin = api) {
  const url = new URL(path, web.url);
  url.searchParams.set('api', apiOrigin);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

async function settled(page) {
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
  return page.evaluate(() => document.body.dataset.state);
}

function apiRequests(watcher) {
  return watcher.seen.requests.filter((r) => r.url.startsWith(`${api}/graphql`) && r.method !== 'OPTIONS');
}

// --- the article page ---------------------------------------------------------------------

const ARTICLE = `query Expected($slug: String!) {
  article(slug: $slug) {
    title summary body(format: HTML) publishedAt
    author { name kind }
    keyPoints { text }
    quotes { text speaker { name role } }
    relatedLinks { url title }
    publication { sponsorMessage links { label url } }
    copyright { notice }
  }
}`;

/** What the article page shows, read from its DOM. */
function readArticle(page) {
  return page.evaluate(() => {
    const text = (sel, root = document) => root.querySelector(sel)?.textContent ?? null;
    return {
      state: document.body.dataset.state,
      error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
      title: text('#article h1'),
      summary: text('#article .summary'),
      author: text('#article .author'),
      publishedAt: document.querySelector('#article time')?.getAttribute('datetime') ?? null,
      sponsor: text('#article .sponsor'),
      bodyParagraphs: document.querySelectorAll('#article .body p').length,
      keyPoints: [...document.querySelectorAll('#article .key-points li')].map((li) => li.textContent),
      quotes: [...document.querySelectorAll('#article .quote')].map((f) => ({
        text: text('blockquote', f),
        name: text('.speaker-name', f),
        role: text('.speaker-role', f),
      })),
      relatedLinks: [...document.querySelectorAll('#article .related-links a')].map((a) => ({
        url: a.getAttribute('href'),
        title: a.textContent,
      })),
      copyright: text('#footer .copyright'),
      footerLinks: [...document.querySelectorAll('#footer nav a')].map((a) => ({ label: a.textContent, url: a.getAttribute('href') })),
    };
  });
}

async function expectedArticle(slug) {
  const { article } = await gql(ARTICLE, { slug });
  assert.ok(article, `the API has no article ${slug}`);
  return article;
}

function assertArticle(shown, expected) {
  assert.equal(shown.state, 'ready', `the page shows an error: ${shown.error}`);
  assert.equal(shown.error, null);
  assert.equal(shown.title, expected.title);
  assert.equal(shown.summary, expected.summary);
  assert.equal(shown.author, `By ${expected.author.name}${expected.author.kind === 'AI_MODEL' ? ' (AI model)' : ''}`);
  assert.equal(shown.publishedAt, expected.publishedAt);
  assert.equal(shown.sponsor, expected.publication.sponsorMessage);
  const paragraphs = expected.body.match(/<p[\s>]/g)?.length ?? 0;
  assert.ok(paragraphs > 0, 'the API body has paragraphs');
  assert.equal(shown.bodyParagraphs, paragraphs, 'the HTML body is rendered as HTML');
  assert.deepEqual(
    shown.keyPoints,
    expected.keyPoints.map((p) => p.text),
  );
  assert.deepEqual(
    shown.quotes,
    expected.quotes.map((q) => ({ text: q.text, name: q.speaker.name, role: q.speaker.role })),
  );
  assert.deepEqual(
    shown.relatedLinks,
    expected.relatedLinks.map((l) => ({ url: l.url, title: l.title ?? l.url })),
  );
  assert.ok(shown.copyright?.startsWith(expected.copyright.notice), `copyright footer: ${shown.copyright}`);
  assert.deepEqual(shown.footerLinks, expected.publication.links);
}

describe('article page', () => {
  test('renders the demo article (plain client: simple requests, no preflight)', async () => {
    const expected = await expectedArticle(DEMO_SLUG);
    const { page, watcher, preflights, close } = await open('article.html');
    try {
      const shown = await readArticle(page);
      assertArticle(shown, expected);
      // The exact strings a reader sees, not only what the API said.
      assert.equal(shown.title, DEMO_TITLE);
      assert.equal(shown.sponsor, "Today's AI/ML headlines are brought to you by ThreatPerspective");
      assert.equal(shown.keyPoints.length, 5);
      assert.deepEqual(
        [...new Set(shown.quotes.map((q) => q.name))],
        ['Linus Torvalds', 'Christoph Hellwig', 'Greg Kroah-Hartman'],
      );
      assert.equal(shown.copyright, '© Digital Event Horizon. All rights reserved.');
      assert.equal(await page.title(), `${DEMO_TITLE} · Digital Event Horizon`);

      const requests = apiRequests(watcher);
      assert.equal(requests.length, 1, 'one request renders the whole article');
      assert.equal(requests[0].status, 200);
      assert.equal(requests[0].headers.traceparent, undefined);
      assert.equal(requests[0].headers['apollographql-client-name'], undefined);
      assert.deepEqual(preflights(), [], 'a GET with only safelisted headers needs no preflight');
      assert.deepEqual(watcher.problems(), []);
    } finally {
      await close();
    }
  });

  test('renders the demo article with the traced client (traceparent, Apollo client headers, preflight)', async () => {
    const expected = await expectedArticle(DEMO_SLUG);
    const { page, watcher, preflights, close } = await open('article.html', { traced: '1' });
    try {
      assertArticle(await readArticle(page), expected);

      // A second load: each request gets fresh ids.
      await page.reload();
      assert.equal(await settled(page), 'ready');

      const requests = apiRequests(watcher);
      assert.equal(requests.length, 2);
      for (const r of requests) {
        assert.equal(r.status, 200);
        assert.match(r.headers.traceparent ?? '', TRACEPARENT);
        assert.equal(r.headers['apollographql-client-name'], 'content-api-example-web');
        assert.equal(r.headers['apollographql-client-version'], version);
      }
      const traceIds = requests.map((r) => r.headers.traceparent.split('-')[1]);
      assert.notEqual(traceIds[0], traceIds[1], 'a fresh trace id per request');

      // The browser asked the API itself (not Playwright) before sending the headers.
      const sent = preflights();
      assert.ok(sent.length >= 1, 'a CORS preflight was sent');
      for (const preflight of sent) {
        assert.equal(preflight.method, 'OPTIONS');
        assert.ok(preflight.url.startsWith(`${api}/graphql`));
        assert.equal(preflight.error, undefined);
        assert.ok(preflight.status >= 200 && preflight.status < 300, `preflight status ${preflight.status}`);
        const asked = preflight.headers['Access-Control-Request-Headers'].split(',');
        assert.deepEqual(asked.sort(), ['apollographql-client-name', 'apollographql-client-version', 'traceparent']);
        const allowed = preflight.responseHeaders['access-control-allow-headers'].toLowerCase().split(/\s*,\s*/);
        for (const name of asked) assert.ok(allowed.includes(name) || allowed.includes('*'), `${name} allowed`);
      }
      assert.deepEqual(watcher.problems(), []);
    } finally {
      await close();
    }
  });

  test('shows an unknown slug as an error, not an empty page', async () => {
    const { page, watcher, close } = await open('article.html', { slug: 'no-such-article' });
    try {
      const shown = await readArticle(page);
      assert.equal(shown.state, 'error');
      assert.match(shown.error, /No article has the slug "no-such-article"/);
      assert.deepEqual(watcher.problems(), []);
    } finally {
      await close();
    }
  });
});

describe('failures are shown, not swallowed', () => {
  // A 4xx or a refused connection is logged by the browser itself; nothing else may be.
  const browserLogged = (p) => /^console error: Failed to load resource: (the server responded with a status of 4\d\d|net::ERR_CONNECTION_REFUSED)/.test(p);

  test('an API that cannot be reached', async () => {
    const port = await closedPort();
    const dead = `http://127.0.0.1:${port}`;
    const { page, watcher, close } = await open('article.html', {}, dead);
    try {
      const shown = await readArticle(page);
      assert.equal(shown.state, 'error');
      assert.match(shown.error, new RegExp(`The API could not be reached.*${dead}`));
      const problems = watcher.problems().filter((p) => !browserLogged(p) && !p.includes(`${dead}/graphql`));
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('an HTTP error that is not a GraphQL response', async () => {
    // The static server has no /graphql: a 404 in plain text.
    const { page, watcher, close } = await open('article.html', {}, web.url);
    try {
      const shown = await readArticle(page);
      assert.equal(shown.state, 'error');
      assert.match(shown.error, /The API answered with an error.*HTTP 404/);
      assert.deepEqual(watcher.problems().filter((p) => !browserLogged(p)), []);
    } finally {
      await close();
    }
  });
});

/** A local port nothing listens on. */
async function closedPort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

// --- the list page ------------------------------------------------------------------------

/** Every article in the list's order, one page of `first: 1` at a time (at most `max`). */
async function allArticles(max = 6) {
  const list = [];
  let after = null;
  let totalCount = 0;
  do {
    const { articles } = await gql(
      'query($after: String) { articles(first: 1, after: $after) { totalCount edges { node { slug title } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    totalCount = articles.totalCount;
    list.push(...articles.edges.map((e) => e.node));
    after = articles.pageInfo.hasNextPage ? articles.pageInfo.endCursor : null;
  } while (after !== null && list.length < max);
  return { totalCount, list };
}

function readList(page) {
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
    count: document.getElementById('count').textContent,
    titles: [...document.querySelectorAll('#articles h2 a')].map((a) => a.textContent),
    prev: !document.getElementById('prev').disabled,
    next: !document.getElementById('next').disabled,
    search: location.search,
  }));
}

describe('list page', () => {
  test('shows the first page of articles with links to them', async () => {
    const { articles } = await gql('{ articles(first: 10) { totalCount nodes { slug title } pageInfo { hasNextPage } } }');
    const { page, watcher, close } = await open('list.html');
    try {
      const shown = await readList(page);
      assert.equal(shown.state, 'ready', `the page shows an error: ${shown.error}`);
      assert.deepEqual(
        shown.titles,
        articles.nodes.map((n) => n.title),
      );
      assert.equal(shown.count, `${articles.totalCount} ${articles.totalCount === 1 ? 'article' : 'articles'}`);
      assert.equal(shown.prev, false);
      assert.equal(shown.next, articles.pageInfo.hasNextPage);

      // The first title leads to its article page, keeping the API setting.
      const first = articles.nodes[0];
      await page.getByRole('link', { name: first.title, exact: true }).click();
      await page.waitForURL((url) => url.pathname.endsWith('/article.html'));
      assert.equal(await settled(page), 'ready');
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('slug'), first.slug);
      assert.equal(url.searchParams.get('api'), api);
      assert.equal(await page.locator('#article h1').textContent(), first.title);
      assert.deepEqual(watcher.problems(), []);
    } finally {
      await close();
    }
  });

  test('pages with cursors: Next and Previous, one article a page', async (t) => {
    const { totalCount, list } = await allArticles();
    const { page, watcher, close } = await open('list.html', { first: '1' });
    try {
      let shown = await readList(page);
      assert.equal(shown.state, 'ready', `the page shows an error: ${shown.error}`);
      assert.deepEqual(shown.titles, [list[0].title]);
      assert.equal(shown.prev, false);
      assert.equal(shown.next, totalCount > 1);
      if (totalCount < 2) {
        t.skip('the API holds one article: nothing to page through');
        return;
      }

      const click = async (name) => {
        await page.getByRole('button', { name }).click();
        assert.equal(await settled(page), 'ready');
        return readList(page);
      };
      // Forward to the last page we know of, one cursor at a time.
      for (let i = 1; i < list.length; i++) {
        shown = await click('Next →');
        assert.deepEqual(shown.titles, [list[i].title], `page ${i + 1}`);
        assert.match(shown.search, /[?&]after=/);
        assert.equal(shown.prev, true);
      }
      assert.equal(shown.next, list.length < totalCount);
      // And back: `last: 1, before: startCursor`.
      shown = await click('← Previous');
      assert.deepEqual(shown.titles, [list[list.length - 2].title]);
      assert.match(shown.search, /[?&]before=/);
      assert.equal(shown.next, true);
      // The browser's Back button returns to the page it came from.
      await page.goBack();
      await page.waitForFunction((title) => document.querySelector('#articles h2 a')?.textContent === title, list.at(-1).title);
      assert.deepEqual(watcher.problems(), []);
    } finally {
      await close();
    }
  });

  test('shows a GraphQL error with its code', async () => {
    const { page, watcher, close } = await open('list.html', { first: '500' });
    try {
      const shown = await readList(page);
      assert.equal(shown.state, 'error');
      assert.match(shown.error, /The query failed/);
      assert.match(shown.error, /BAD_USER_INPUT/);
      // A 4xx answer is logged by the browser itself; nothing else may be.
      const problems = watcher.problems().filter((p) => !/^console error: Failed to load resource: the server responded with a status of 4\d\d/.test(p));
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
