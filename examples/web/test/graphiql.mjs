// The API's GraphiQL (GET /graphql in a browser) works offline: with every origin but the
// API's cut off, it renders, runs the demo article's query and shows the result.
//
//   API_URL=http://127.0.0.1:8080 node --test test/graphiql.mjs
//
// Written against GraphiQL 3's DOM (.graphiql-container, .graphiql-execute-button,
// .graphiql-response) and the page's first tab, which holds the demo article's query.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { DEMO_SLUG, DEMO_TITLE, apiUrl, gql, watch } from './support.mjs';

const QUERY = `{ article(slug: "${DEMO_SLUG}") { title } }`;

test('GraphiQL renders and runs the demo query with no other origin reachable', async () => {
  const api = apiUrl();
  const { article } = await gql(QUERY);
  assert.equal(article.title, DEMO_TITLE);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // GraphiQL calls its own origin only, so no preflight is at stake and routing is fine.
    const blocked = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === api || url.startsWith('data:')) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    const watcher = watch(page, [api]);
    await page.goto(`${api}/graphql`);

    try {
      await page.waitForSelector('.graphiql-container .graphiql-execute-button', { timeout: 15_000 });
    } catch (err) {
      throw new Error(
        `GraphiQL did not render.\nblocked: ${JSON.stringify(blocked, null, 2)}\nproblems: ${JSON.stringify(watcher.problems(), null, 2)}`,
        { cause: err },
      );
    }

    // The first tab holds the demo article's query: run it as a reader would.
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      (title) => document.querySelector('.graphiql-response')?.textContent.includes(title),
      DEMO_TITLE,
      { timeout: 15_000 },
    );

    assert.deepEqual(blocked, [], 'GraphiQL asked for nothing outside the API');
    assert.deepEqual(watcher.problems(), []);
  } finally {
    await browser.close();
  }
});
