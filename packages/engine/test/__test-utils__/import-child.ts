// A child process that imports users and runs them to the end; the crash test SIGKILLs it at
// random moments and starts it again on the same SQLite file.
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { createHandoff } from '../../src/index.js';
import { API_KEY, userRecord } from './harness.js';

const [dbPath, baseUrl, count] = process.argv.slice(2);
const store = openSqliteStore({
  path: dbPath!,
  keyring: parseKeyring(process.env.KYC_HANDOFF_ENCRYPTION_KEY!),
});
const crossmint = createCrossmintClient({ baseUrl: baseUrl! }, { apiKey: API_KEY });
const handoff = createHandoff({
  crossmint,
  store,
  budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
  concurrency: 16,
  leaseMs: 2_000,
  idleSweepMs: 50,
  policy: { pollInitialMs: 20, pollMaxMs: 100, baseDelayMs: 20 },
});
const records = Array.from({ length: Number(count) }, (_, i) =>
  userRecord(`crash-${i}`, i % 7 === 0 ? 'Rejected' : 'Smith'),
);
for (let i = 0; i < records.length; i += 50) await handoff.submit(records.slice(i, i + 50));
process.stdout.write('running\n');
await handoff.run();
await crossmint.close();
await store.close();
process.stdout.write('done\n');
