// Writes a PNG of the article page, 1200 px wide and as tall as the page, for the README.
//
//   API_URL=http://127.0.0.1:8080 node test/screenshot.mjs article.png [slug]
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { DEMO_SLUG, apiUrl, launch, startWeb, watch } from './support.mjs';

const [out, slug = DEMO_SLUG] = process.argv.slice(2);
if (!out) {
  console.error('usage: API_URL=… node test/screenshot.mjs OUT.png [SLUG]');
  process.exit(2);
}

const api = apiUrl();
const web = await startWeb();
const chrome = await launch([api, web.url]);
try {
  const page = await chrome.browser.newPage({ viewport: { width: 1200, height: 800 } });
  const watcher = watch(page, [api, web.url]);
  const url = new URL('article.html', web.url);
  url.searchParams.set('api', api);
  url.searchParams.set('slug', slug);
  await page.goto(url.href);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.locator('#error').textContent());
  assert.deepEqual(watcher.problems(), []);
  await page.screenshot({ path: resolve(out), fullPage: true });
  console.log(JSON.stringify({ event: 'screenshot', path: resolve(out) }));
} finally {
  await chrome.close();
  await web.stop();
}
