import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshSchemaName, PG_URL, postgresAvailable, storeFactory, T0 } from './__test-utils__/postgres.js';

/** Counts wake-ups and lets a test wait for the next one. */
function wakeRecorder() {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    onWake: () => {
      count += 1;
      for (const w of waiters.splice(0)) w();
    },
    get count() {
      return count;
    },
    next(timeoutMs = 3_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no wake-up within the timeout')), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    reset() {
      count = 0;
      waiters = [];
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe.skipIf(!postgresAvailable)('postgres store: LISTEN/NOTIFY wake-ups', () => {
  const factory = storeFactory();
  afterEach(() => factory.cleanup());
  afterAll(() => factory.end());

  it('a listener is woken by a submit, a commit with a wakeAt and a record replacement from another store', async () => {
    const schema = freshSchemaName();
    const listening = await factory.open({ schema });
    const other = await factory.open({ schema });
    const wake = wakeRecorder();
    await listening.listen(wake.onWake);

    let next = wake.next();
    await other.submit([sampleOnboarding(sampleRecord({ userId: 'n1' }), { wakeAt: T0 })], { now: T0 });
    await next;

    const [row] = await other.claimDue({ now: T0, limit: 1, owner: 'w', leaseMs: 1_000 });
    next = wake.next();
    await other.commit([
      {
        userId: 'n1',
        expectedVersion: row!.version,
        state: 'userCreated',
        snapshot: { value: 'userCreated', context: {} },
        wakeAt: T0 + 10,
        attempts: 0,
        lastError: null,
        outcome: null,
        journal: [],
        releaseLease: true,
        now: T0 + 1,
      },
    ]);
    await next;

    next = wake.next();
    await other.replaceRecord(
      'n1',
      sampleRecord({ userId: 'n1', privacyPolicyAcceptedAt: '2026-02-02T00:00:00.000Z' }),
      T0,
    );
    await next;
  });

  it('nothing wakes a listener for a submit that creates nothing, nor for another schema', async () => {
    const schema = freshSchemaName();
    const listening = await factory.open({ schema });
    const elsewhere = await factory.open();
    await listening.submit([sampleOnboarding(sampleRecord({ userId: 'same' }))], { now: T0 });
    const wake = wakeRecorder();
    await listening.listen(wake.onWake);
    await listening.submit([sampleOnboarding(sampleRecord({ userId: 'same' }))], { now: T0 });
    await elsewhere.submit([sampleOnboarding(sampleRecord({ userId: 'other' }))], { now: T0 });
    await settle();
    expect(wake.count).toBe(0);
  });

  it('a store on a caller-owned pool listens on a connection of its own, leaving the pool alone', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    pool.on('error', () => undefined);
    try {
      const schema = freshSchemaName();
      const store = await factory.open({ schema, pool });
      const wake = wakeRecorder();
      const stop = await store.listen(wake.onWake);
      const next = wake.next();
      await store.submit([sampleOnboarding(sampleRecord({ userId: 'p1' }), { wakeAt: T0 })], { now: T0 });
      await next;
      await stop();
      await store.close();
      expect(pool.ending).toBe(false);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('after stop, the listener is not called and its connection is closed', async () => {
    const schema = freshSchemaName();
    const store = await factory.open({ schema });
    const wake = wakeRecorder();
    const stop = await store.listen(wake.onWake);
    const listeners = async () =>
      (
        await factory.admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1', [
          `LISTEN "kyc_handoff_wake_${schema}"`,
        ])
      ).rows[0]?.n;
    expect(await listeners()).toBe(1);
    await stop();
    await store.submit([sampleOnboarding(sampleRecord({ userId: 'late' }))], { now: T0 });
    await settle();
    expect(wake.count).toBe(0);
    expect(await listeners()).toBe(0);
  });
});
