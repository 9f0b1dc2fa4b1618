// Runs the graphql-http server audit suite (the GraphQL-over-HTTP specification's MUST,
// SHOULD and MAY checks) against a running server: `node audit.mjs http://HOST:PORT/graphql`.
// Prints every audit that is not "ok" and exits 1 if any is an error or a warning.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const audits = serverAudits({ url, fetchFn: fetch });
const counts = { ok: 0, warn: 0, error: 0 };
for (const audit of audits) {
  const result = await audit.fn();
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
    if (result.response) {
      const body = await result.response.text();
      console.log(`  got ${result.response.status} ${result.response.headers.get('content-type')}: ${body.slice(0, 300)}`);
    }
  }
}
console.log(`graphql-http ${audits.length} audits: ${counts.ok} ok, ${counts.warn} warnings, ${counts.error} errors`);
process.exit(counts.warn + counts.error === 0 ? 0 : 1);
