// `npm test`: the browser tests against content-api in its test mode, started here (the
// demo article and fixtures/newsroom.json, in memory) unless API_URL names a running server.
// The same shape as a Vitest or Jest global setup: start once, hand the URL over, stop.
// The suites that write (subscriptions, webhooks) start servers of their own: they are handed
// the same binary as CONTENT_API_BIN.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startContentApi } from './content-api.mjs';

const root = (path) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** The binary to test: CONTENT_API_BIN, else the repository's debug or release build, if any. */
function binary() {
  if (process.env.CONTENT_API_BIN) return process.env.CONTENT_API_BIN;
  return ['target/debug/content-api', 'target/release/content-api'].map(root).find(existsSync);
}

const files = process.argv.slice(2);
const bin = binary();
let api = null;
if (!process.env.API_URL) {
  if (!bin) throw new Error('build content-api first (`cargo build` at the repository root), or set CONTENT_API_BIN');
  api = await startContentApi({
    binary: bin,
    fixtures: [root('fixtures/demo.json'), root('fixtures/newsroom.json')],
  });
  console.log(`content-api test mode at ${api.url}`);
}
let code = 1;
try {
  const tests = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
    stdio: 'inherit',
    env: { ...process.env, API_URL: process.env.API_URL ?? api.url, ...(bin && { CONTENT_API_BIN: bin }) },
  });
  [code] = await once(tests, 'exit');
} finally {
  await api?.stop();
}
process.exit(code ?? 1);
