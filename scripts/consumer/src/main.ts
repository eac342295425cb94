// A user's program, written against the public API only. scripts/consumer-test.sh copies it into a
// fresh project that installed the packed packages, typechecks it as strictly as a careful user
// would, compiles it and runs it: three users through the in-process sandbox and a SQLite store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics, startConsole } from '@kyc-handoff/console';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { createMemoryStore } from '@kyc-handoff/core/testing';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff, type TransitionNotice } from '@kyc-handoff/engine';
import { createSandbox } from '@kyc-handoff/sandbox';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { euResident, usResident } from './records.js';

const records = [
  usResident('consumer-us-1'),
  euResident('consumer-eu-1'),
  usResident('consumer-no-1', 'Rejected'),
];
const expected = ['verified', 'verified', 'rejected'] as const;

/**
 * Settings often come from the environment, so an option is often `number | undefined` (both are
 * unset here): passing one must compile with exactOptionalPropertyTypes.
 */
function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}
const optionalFlag = (value: string | undefined): boolean | undefined =>
  value === undefined ? undefined : value === '1';

const problems: string[] = [];
const dir = await mkdtemp(join(tmpdir(), 'kyc-consumer-'));
const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0 });
const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
const crossmint = createCrossmintClient({ baseUrl: `${url}/api` }, { apiKey: 'sk_staging_consumer_test' });
const store = openSqliteStore({ path: join(dir, 'handoff.db'), keyring: parseKeyring(generateKey()) });
const maybeNumber = optionalNumber(process.env.CONSUMER_MAYBE_NUMBER);
const maybeFlag = optionalFlag(process.env.CONSUMER_MAYBE_FLAG);

try {
  const handoff = createHandoff({
    crossmint,
    store,
    budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
    policy: { pollInitialMs: 10, pollMaxMs: 10 },
    concurrency: maybeNumber,
  });
  const seen = new Map<string, TransitionNotice[]>();
  const unsubscribe = handoff.subscribe((notice) => {
    seen.set(notice.userId, [...(seen.get(notice.userId) ?? []), notice]);
  });

  for (const result of await handoff.submit(records, { update: maybeFlag })) {
    if (result.status !== 'created') problems.push(`submit: ${result.userId} is ${JSON.stringify(result)}`);
  }
  const deadline = setTimeout(() => {
    console.error('consumer program: run() did not become idle within 30 s');
    process.exit(1);
  }, 30_000);
  await handoff.run();
  clearTimeout(deadline);
  unsubscribe();
  await handoff.stop({ graceMs: maybeNumber });

  for (const [i, record] of records.entries()) {
    const outcome = expected[i];
    const status = await handoff.status(record.userId, { journalLimit: maybeNumber });
    if (status?.outcome !== outcome) {
      problems.push(
        `status(${record.userId}): expected ${outcome}, got ${status?.statePath ?? 'no onboarding'}`,
      );
    }
    // The public types are literal unions: a misspelt field or value does not compile (tsc fails on
    // an unused @ts-expect-error, so these lines are checks of the published .d.ts).
    for (const entry of status?.eligibility ?? []) {
      const product: 'onramp' | 'onramp-light' | 'offramp' | 'regulated-transfer' = entry.type;
      // @ts-expect-error: an eligibility entry has `type`, not `product`
      void entry.product;
      // @ts-expect-error: 'approved' is not one of Crossmint's six statuses
      if (entry.status === 'approved') problems.push(`${product} approved`);
    }
    // @ts-expect-error: 'done' is no top-level state
    if (status?.state === 'done') problems.push('done');
    const notices = seen.get(record.userId) ?? [];
    if (!notices.some((n) => n.outcome === outcome)) {
      const path = notices.map((n) => n.to).join(' → ') || 'nothing';
      problems.push(`subscribe: ${record.userId} never reached ${outcome} (saw ${path})`);
    }
  }

  // The console and metrics from the installed package: its htmx asset and Graphviz's WASM ship in
  // it, so the pages work offline in the user's project too.
  const metrics = createMetrics();
  metrics.attach({ handoff });
  const console_ = await startConsole({ store, handoff, metrics, port: 0, readOnly: true });
  try {
    const origin = new URL(console_.url).origin;
    for (const path of ['/', '/machine', '/queues', '/assets/htmx.min.js', '/metrics']) {
      const response = await fetch(`${origin}${path}`);
      const body = await response.text();
      if (response.status !== 200)
        problems.push(`console ${path}: status ${response.status}: ${body.slice(0, 200)}`);
      if (path === '/machine' && !body.includes('data-state="verified" data-count="2"'))
        problems.push('console /machine: the chart does not show 2 verified');
      if (path === '/metrics' && !body.includes('kyc_handoff_onboardings{state="verified"} 2'))
        problems.push('console /metrics: no kyc_handoff_onboardings{state="verified"} 2');
    }
  } finally {
    await console_.close();
    metrics.close();
  }

  // What an embedder's own unit tests would use: the memory store of @kyc-handoff/core/testing.
  const [inMemory] = await createHandoff({ crossmint, store: createMemoryStore() }).submit(records[0]);
  if (inMemory?.status !== 'created') problems.push(`memory store: submit gave ${JSON.stringify(inMemory)}`);
} finally {
  await store.close();
  await crossmint.close();
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`consumer program: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  'consumer program: verified, verified, rejected, seen through status(), subscribe(), the console and /metrics',
);
