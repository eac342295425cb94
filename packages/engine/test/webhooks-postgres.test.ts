// Two PostgreSQL workers delivering one outbox: every event at least once, in order per user,
// and never one event by both at the same time.
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createSandbox } from '@kyc-handoff/sandbox';
import { openPostgresStore, type PostgresStore } from '@kyc-handoff/store-postgres';
import { describe, expect, it } from 'vitest';
import { createHandoff, webhookSender } from '../src/index.js';
import { API_KEY, userRecord } from './__test-utils__/harness.js';
import { freshSchemaName, PG_URL, postgresAvailable } from './__test-utils__/pg-workers.js';
import { type Received, SECRET, startReceiver } from './__test-utils__/receiver.js';

describe.skipIf(!postgresAvailable)('webhooks from two PostgreSQL workers', () => {
  it('share the outbox: every event delivered once at a time, in order per user, all signed', async () => {
    // A receiver slow enough that both workers have deliveries in flight together.
    const receiver = await startReceiver();
    const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, seed: 4 });
    const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
    const schema = freshSchemaName('kh_hooks');
    const keyring = parseKeyring(generateKey());
    const stores: PostgresStore[] = [];
    const workers = [];
    const deliveredBy = new Set<string>();
    try {
      for (const name of ['a', 'b']) {
        const store = await openPostgresStore({ connectionString: PG_URL, schema, keyring, poolSize: 3 });
        stores.push(store);
        const crossmint = createCrossmintClient({ baseUrl: `${url}/api` }, { apiKey: API_KEY });
        const handoff = createHandoff({
          crossmint,
          store,
          owner: `worker-${name}`,
          budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
          policy: { pollInitialMs: 10, pollMaxMs: 50 },
          idleSweepMs: 50,
        });
        const sender = webhookSender({ url: receiver.url, secret: SECRET });
        const delivery = handoff.deliver(
          async (event, context) => {
            deliveredBy.add(name);
            await sender(event, context);
          },
          {
            concurrency: 4,
            idleSweepMs: 20,
            retryBaseMs: 20,
            retryMaxMs: 100,
            timeoutMs: 2_000,
            leaseMs: 5_000,
          },
        );
        workers.push({ handoff, delivery, crossmint });
      }
      const users = 40;
      await workers[0]!.handoff.submit(Array.from({ length: users }, (_, i) => userRecord(`pg-hook-${i}`)));
      await Promise.all(workers.map((w) => w.handoff.run()));
      const drained = await Promise.all(workers.map((w) => w.delivery.drain({ timeoutMs: 20_000 })));
      expect(drained).toEqual([true, true]);

      const ids = new Set(receiver.received.map((r) => r.id));
      expect(ids.size).toBe(users * 2);
      expect(receiver.received.length).toBe(users * 2);
      expect(receiver.received.some((r: Received) => r.overlapped)).toBe(false);
      expect(receiver.received.every((r) => r.verified)).toBe(true);
      for (let i = 0; i < users; i++) {
        const mine = receiver.received.filter((r) => r.userId === `pg-hook-${i}`);
        expect(mine.map((r) => r.seq)).toEqual([1, 2]);
      }
      // Both workers took part: the no-overlap check above is about two live deliverers.
      expect([...deliveredBy].sort()).toEqual(['a', 'b']);
      for (const w of workers) {
        await w.delivery.stop();
        await w.crossmint.close();
      }
    } finally {
      await stores[0]?.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const store of stores) await store.close();
      await receiver.close();
      await sandbox.close();
    }
  }, 60_000);
});
