import { randomBytes } from 'node:crypto';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  freshSchemaName,
  postgresAvailable,
  storeFactory,
  T0,
  urlWithApplicationName,
} from './__test-utils__/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store: connections killed under it', () => {
  const factory = storeFactory();
  afterEach(() => factory.cleanup());
  afterAll(() => factory.end());

  // Only this test's backends are terminated (found by a unique application_name): other test files
  // run in the same database at the same time and must not lose their connections.
  const terminateAll = async (applicationName: string): Promise<number> => {
    const { rows } = await factory.admin.query(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
      [applicationName],
    );
    return rows[0]?.n ?? 0;
  };

  it('after pg_terminate_backend of all its connections, the store and its listener carry on', async () => {
    const app = `kh_kill_${randomBytes(4).toString('hex')}`;
    const schema = freshSchemaName();
    const store = await factory.open({ schema, connectionString: urlWithApplicationName(app), poolSize: 3 });
    const other = await factory.open({ schema });
    let wakes = 0;
    let onWake: () => void = () => undefined;
    await store.listen(() => {
      wakes += 1;
      onWake();
    });
    await store.submit([sampleOnboarding(sampleRecord({ userId: 'k0' }), { wakeAt: T0 })], { now: T0 });
    // Fill the pool with idle connections so every one of them gets killed.
    await Promise.all([store.get('k0'), store.get('k0'), store.get('k0')]);

    const reconnected = new Promise<void>((resolve) => {
      onWake = resolve;
    });
    expect(await terminateAll(app)).toBeGreaterThanOrEqual(2);

    // Reads are retried once on a fresh connection.
    expect((await store.get('k0'))?.userId).toBe('k0');
    // A write that met a dead connection surfaces as a rejection; whatever it was, the next calls work.
    await store
      .submit([sampleOnboarding(sampleRecord({ userId: 'k1' }), { wakeAt: T0 })], { now: T0 })
      .catch((error: Error) => expect(error.message).not.toContain('Lovelace'));
    await store.submit([sampleOnboarding(sampleRecord({ userId: 'k1' }), { wakeAt: T0 })], { now: T0 });
    const claimed = await store.claimDue({ now: T0, limit: 10, owner: 'w', leaseMs: 30_000 });
    expect(claimed.map((r) => r.userId)).toEqual(['k0', 'k1']);
    const results = await store.commit(
      claimed.map((row) => ({
        userId: row.userId,
        expectedVersion: row.version,
        state: 'userCreated',
        snapshot: { value: 'userCreated', context: {} },
        wakeAt: null,
        attempts: 0,
        lastError: null,
        outcome: null,
        journal: [],
        releaseLease: true,
        now: T0 + 1,
      })),
    );
    expect(results.every((r) => r.committed)).toBe(true);
    expect((await store.takeTokens('write', 1, T0, 60, 5)).granted).toBe(1);
    expect(await store.loadRecord('k1')).toEqual(sampleRecord({ userId: 'k1' }));

    // The listener reconnected (and said so with one wake-up), and hears the other store again.
    await reconnected;
    const before = wakes;
    const heard = new Promise<void>((resolve) => {
      onWake = resolve;
    });
    await other.submit([sampleOnboarding(sampleRecord({ userId: 'k2' }), { wakeAt: T0 })], { now: T0 });
    await heard;
    expect(wakes).toBeGreaterThan(before);
  });

  it('a write whose connection is killed mid-statement rejects once; a read is retried; the next calls work', async () => {
    const app = `kh_kill_${randomBytes(4).toString('hex')}`;
    const store = await factory.open({ connectionString: urlWithApplicationName(app), poolSize: 2 });
    await store.submit([sampleOnboarding(sampleRecord({ userId: 'm0' }))], { now: T0 });
    const table = `"${store.schema}".onboardings`;

    // Hold the table so the store's statements wait on the lock, then kill them while they wait.
    const locker = await factory.admin.connect();
    const holdTable = async () => {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    };
    const waitingOnLock = async () => {
      for (;;) {
        const { rows } = await factory.admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [app],
        );
        if ((rows[0]?.n ?? 0) > 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await holdTable();
      const write = store.submit([sampleOnboarding(sampleRecord({ userId: 'm1' }))], { now: T0 }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await waitingOnLock();
      await terminateAll(app);
      const error = await write;
      expect(error).toBeInstanceOf(Error);
      expect(error?.message).not.toContain('Lovelace');
      await locker.query('ROLLBACK');

      await holdTable();
      const read = store.get('m0');
      await waitingOnLock();
      await terminateAll(app);
      await locker.query('ROLLBACK');
      expect((await read)?.userId).toBe('m0');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }

    expect(await store.submit([sampleOnboarding(sampleRecord({ userId: 'm1' }))], { now: T0 })).toEqual([
      { userId: 'm1', status: 'created' },
    ]);
    expect(await store.countsByState()).toEqual({ policyPending: 2 });
  });

  it('a failed statement rejects and leaves the pool usable', async () => {
    const store = await factory.open({ schema: freshSchemaName(), poolSize: 1 });
    await factory.admin.query(`DROP TABLE "${store.schema}".journal`);
    await expect(store.journal('anyone')).rejects.toThrow(/journal/);
    expect(await store.countsByState()).toEqual({});
  });
});
