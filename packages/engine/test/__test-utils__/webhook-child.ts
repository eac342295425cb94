// A child process that submits users, runs them and delivers their outbox as webhooks; the webhook
// test SIGKILLs it mid-delivery and starts it again on the same SQLite file.
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { createHandoff, webhookSender } from '../../src/index.js';
import { API_KEY, userRecord } from './harness.js';

const [dbPath, baseUrl, hookUrl, count] = process.argv.slice(2);
const store = openSqliteStore({
  path: dbPath!,
  keyring: parseKeyring(process.env.KYC_HANDOFF_ENCRYPTION_KEY!),
});
const crossmint = createCrossmintClient({ baseUrl: baseUrl! }, { apiKey: API_KEY });
const handoff = createHandoff({
  crossmint,
  store,
  budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
  leaseMs: 2_000,
  idleSweepMs: 50,
  policy: { pollInitialMs: 20, pollMaxMs: 100, baseDelayMs: 20 },
});
const delivery = handoff.deliver(webhookSender({ url: hookUrl!, secret: process.env.WEBHOOK_SECRET! }), {
  concurrency: 4,
  timeoutMs: 1_000,
  leaseMs: 1_500,
  retryBaseMs: 20,
  retryMaxMs: 100,
  idleSweepMs: 20,
});
await handoff.submit(Array.from({ length: Number(count) }, (_, i) => userRecord(`hook-${i}`)));
await handoff.run();
await delivery.drain({ timeoutMs: 20_000 });
await handoff.stop();
await crossmint.close();
await store.close();
