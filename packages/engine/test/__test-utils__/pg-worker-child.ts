// One worker process of the multi-worker PostgreSQL tests: opens the store on the test's schema,
// runs the engine until nothing is left to do, and prints one JSON line of what it did.
//
// argv: connection string (with its own application_name), schema, sandbox base URL, worker id,
// settings JSON (see WorkerSettings). env: KYC_HANDOFF_ENCRYPTION_KEY, KYC_HANDOFF_TEST_API_KEY.
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { openPostgresStore } from '@kyc-handoff/store-postgres';
import { createHandoff, type Logger } from '../../src/index.js';
import type { WorkerSettings, WorkerSummary } from './pg-workers.js';

const [connectionString, schema, baseUrl, workerId, settingsJson] = process.argv.slice(2);
const settings = JSON.parse(settingsJson!) as WorkerSettings;
const owner = `worker-${workerId}`;

/** Counts warnings by message (they carry no personal data) and echoes errors to stderr. */
const warnings: Record<string, number> = {};
const note = (level: string) => (message: string, fields?: Record<string, unknown>) => {
  warnings[message] = (warnings[message] ?? 0) + 1;
  if (level === 'error') process.stderr.write(`${owner} ${level}: ${message} ${JSON.stringify(fields)}\n`);
};
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: note('warn'),
  error: note('error'),
};

const store = await openPostgresStore({
  connectionString: connectionString!,
  schema: schema!,
  keyring: parseKeyring(process.env.KYC_HANDOFF_ENCRYPTION_KEY!),
  poolSize: settings.poolSize,
});
const crossmint = createCrossmintClient(
  { baseUrl: baseUrl! },
  {
    apiKey: process.env.KYC_HANDOFF_TEST_API_KEY!,
    timeouts: { connectMs: 2_000, headersMs: 5_000, bodyMs: 5_000 },
  },
);
const handoff = createHandoff({
  crossmint,
  store,
  owner,
  budgets: settings.budgets,
  concurrency: settings.concurrency,
  leaseMs: settings.leaseMs,
  idleSweepMs: settings.idleSweepMs,
  policy: settings.policy,
  logger,
});

let transitions = 0;
const users = new Set<string>();
handoff.subscribe((notice) => {
  transitions++;
  users.add(notice.userId);
});

const started = Date.now();
process.stdout.write(`${JSON.stringify({ event: 'running', worker: owner })}\n`);
await handoff.run({ until: 'idle' });
const activity = handoff.activity();
await crossmint.close();
await store.close();
const summary: WorkerSummary = {
  event: 'done',
  worker: owner,
  transitions,
  users: users.size,
  commits: activity.commits,
  writesGranted: activity.writesGranted,
  readsGranted: activity.readsGranted,
  durationMs: Date.now() - started,
  warnings,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
