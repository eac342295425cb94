// Run by multi-process.test.ts in a child process: says `ready` once its store is open, waits for
// `go` on stdin, claims until nothing is due, then prints the ids it claimed as a JSON line.
import { createInterface } from 'node:readline';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { openSqliteStore } from '../src/sqlite-store.js';

const [path, owner] = process.argv.slice(2) as [string, string];
// The key comes from the environment, as in production, so it never shows in a failure's command line.
const key = process.env.KYC_HANDOFF_ENCRYPTION_KEY ?? '';
const store = openSqliteStore({ path, keyring: parseKeyring(key), busyTimeoutMs: 10_000 });
// Released together by the parent once all are loaded, so the processes really contend for the same
// rows: a start time on the clock let a process still loading under a busy suite find nothing left.
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const claimed: string[] = [];
for (;;) {
  const rows = await store.claimDue({ now: 1_000, limit: 7, owner, leaseMs: 3_600_000 });
  if (rows.length === 0) break;
  const results = await store.commit(
    rows.map((row) => ({
      userId: row.userId,
      expectedVersion: row.version,
      state: 'verified',
      snapshot: row.snapshot,
      wakeAt: null,
      attempts: 1,
      lastError: null,
      outcome: null,
      journal: [{ userId: row.userId, at: 1_000, from: row.state, event: 'DUE', to: 'done', detail: owner }],
      releaseLease: true,
      now: 1_000,
    })),
  );
  if (results.some((r) => !r.committed)) throw new Error(`${owner}: a commit of its own claim was refused`);
  claimed.push(...rows.map((r) => r.userId));
}
await store.close();
process.stdout.write(`${JSON.stringify(claimed)}\n`);
