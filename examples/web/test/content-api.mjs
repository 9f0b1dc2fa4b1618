// Starts content-api in its test mode for a test suite: a database of its own (in memory by
// default) loaded with fixtures, on a free port. Resolves once the server answers, with what
// its ready line says (`url`, `graphql`, `tokens`). This is the recipe the repository's
// README gives for Vitest, Jest and Playwright; the tests here use it too.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * @param {object} options
 * @param {string} [options.binary] the content-api executable (`CONTENT_API_BIN`, else `content-api` on the PATH)
 * @param {string[]} [options.fixtures] bundles to import, in order (`--import`, repeatable)
 * @param {string[]} [options.tokens] tokens to create, `NAME:SCOPE` (`--token`, repeatable)
 * @param {string} [options.database] the database URL; `sqlite::memory:` vanishes with the process
 * @param {string[]} [options.args] more `serve` flags
 * @returns {Promise<{url: string, graphql: string, tokens: Record<string, string>, stop: () => Promise<void>}>}
 */
export async function startContentApi({
  binary = process.env.CONTENT_API_BIN ?? 'content-api',
  fixtures = [],
  tokens = [],
  database = 'sqlite::memory:',
  args = [],
} = {}) {
  const child = spawn(
    binary,
    [
      'serve',
      '--database-url', database,
      '--bind', '127.0.0.1:0',
      ...fixtures.flatMap((file) => ['--import', file]),
      ...tokens.flatMap((token) => ['--token', token]),
      ...args,
    ],
    // Logs go to stderr: shown with the suite's output. Quiet unless asked otherwise.
    { stdio: ['ignore', 'pipe', 'inherit'], env: { RUST_LOG: 'warn', ...process.env } },
  );
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  // The first line on stdout says the server answers; an exit before it is a failed start.
  const lines = createInterface({ input: child.stdout });
  const first = once(lines, 'line').then(([line]) => line);
  const early = exited.then(([code, signal]) => {
    throw new Error(`content-api exited (${signal ?? code}) before it was ready`);
  });
  early.catch(() => {}); // a later exit, after the ready line, is no failure
  const line = await Promise.race([first, early]).catch(async (err) => {
    await stop();
    throw err;
  });
  const ready = JSON.parse(line);
  if (ready.event !== 'ready') {
    await stop();
    throw new Error(`content-api's first line is not its ready line: ${line}`);
  }
  return { url: ready.url, graphql: ready.graphql, tokens: ready.tokens, stop };
}
