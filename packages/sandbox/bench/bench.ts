/**
 * Requests per second on loopback, with rate limits off so the sandbox itself is measured.
 * Run: pnpm --filter @kyc-handoff/sandbox bench   (BENCH_SECONDS, BENCH_CONNECTIONS to tune)
 * autocannon runs in a worker thread so it does not share the event loop with the server.
 */
import autocannon from 'autocannon';
import { createSandbox } from '../src/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const key = 'sk_staging_bench_key';
const base = '/api/2025-06-09/users/userId%3Abench-1';

const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, verifyAfterPolls: 1, seed: 1 });
const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
}
await call('PUT', `${base}/legal-documents`, {
  type: 'crossmint-privacy-policy',
  acceptedAt: '2026-01-01T00:00:00.000Z',
});
await call('PUT', base, {
  userDetails: { firstName: 'Bench', lastName: 'Mark', dateOfBirth: '1990-01-15', countryOfResidence: 'US' },
});
await call('PUT', `${base}/identity-verification`);

interface Scenario {
  title: string;
  method: 'GET' | 'PUT';
  path: string;
  body?: string;
  seconds?: number;
}
const scenarios: Scenario[] = [
  { title: 'warm-up (JIT, not a result)', method: 'GET', path: `${base}/identity-verification`, seconds: 2 },
  { title: 'GET identity-verification', method: 'GET', path: `${base}/identity-verification` },
  {
    title: 'PUT legal-documents',
    method: 'PUT',
    path: `${base}/legal-documents`,
    body: JSON.stringify({ type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00.000Z' }),
  },
];

for (const s of scenarios) {
  const result = await autocannon({
    url: `${url}${s.path}`,
    method: s.method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    ...(s.body === undefined ? {} : { body: s.body }),
    connections,
    duration: s.seconds ?? seconds,
    workers: 1,
  });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  console.log(
    `${s.title}: ${Math.round(result.requests.average)} req/s average, p99 ${result.latency.p99} ms, ` +
      `${result.requests.total} requests, ${non2xx} not 2xx/errors (${connections} connections, ${s.seconds ?? seconds} s)`,
  );
}
await sandbox.close();
