import type { CommitTransition, OnboardingRow } from '@kyc-handoff/core';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshSchemaName, PG_URL, postgresAvailable, storeFactory, T0 } from './__test-utils__/postgres.js';

const LEASE = 30_000;

function transition(row: OnboardingRow, overrides: Partial<CommitTransition> = {}): CommitTransition {
  return {
    userId: row.userId,
    expectedVersion: row.version,
    state: 'userCreated',
    snapshot: { value: 'userCreated', context: { attempts: 0 } },
    wakeAt: T0 + 5_000,
    attempts: 0,
    lastError: null,
    outcome: null,
    journal: [
      { userId: row.userId, at: T0 + 1, from: row.state, event: 'POLICY_RECORDED', to: 'userCreated' },
      { userId: row.userId, at: T0 + 2, from: 'userCreated', event: 'USER_UPSERTED', to: 'userCreated' },
    ],
    releaseLease: true,
    now: T0 + 2,
    ...overrides,
  };
}

/** A pool that counts every statement sent by any of its clients (pool.query goes through them too). */
function countingPool() {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
  pool.on('error', () => undefined);
  const counter = { queries: 0 };
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      counter.queries += 1;
      return original(...args);
    };
  });
  return { pool, counter };
}

describe.skipIf(!postgresAvailable)('postgres store: group commit', () => {
  const factory = storeFactory();
  const pools: pg.Pool[] = [];
  afterEach(async () => {
    await factory.cleanup();
    for (const p of pools.splice(0)) await p.end();
  });
  afterAll(() => factory.end());

  it('a batch of 200 transitions, some stale, is one round trip and journals only the committed ones', async () => {
    const { pool, counter } = countingPool();
    pools.push(pool);
    const store = await factory.open({ pool });
    await store.submit(
      Array.from({ length: 200 }, (_, i) =>
        sampleOnboarding(sampleRecord({ userId: `b-${String(i).padStart(3, '0')}` }), { wakeAt: T0 }),
      ),
      { now: T0 },
    );
    const rows = await store.claimDue({ now: T0, limit: 200, owner: 'w', leaseMs: LEASE });
    expect(rows).toHaveLength(200);
    const stale = (i: number) => i % 7 === 3;
    const batch = rows.map((row, i) =>
      transition(row, stale(i) ? { expectedVersion: row.version - 1, state: 'failed' } : {}),
    );

    counter.queries = 0;
    const results = await store.commit(batch);
    // One statement (its own transaction), however many transitions: a constant, not one per item.
    expect(counter.queries).toBe(1);

    expect(results.map((r) => r.userId)).toEqual(rows.map((r) => r.userId));
    results.forEach((r, i) => {
      expect(r).toEqual(
        stale(i)
          ? { userId: rows[i]!.userId, committed: false }
          : { userId: rows[i]!.userId, committed: true, newVersion: rows[i]!.version + 1 },
      );
    });
    const committed = results.filter((r) => r.committed).length;
    const journal = await factory.admin.query(
      `SELECT user_id, event FROM "${store.schema}".journal ORDER BY id`,
    );
    expect(journal.rows).toHaveLength(committed * 2);
    const staleIds = new Set(rows.filter((_, i) => stale(i)).map((r) => r.userId));
    expect(journal.rows.some((j) => staleIds.has(j.user_id))).toBe(false);
    expect(await store.countsByState()).toEqual({ userCreated: committed, policyPending: 200 - committed });
    expect(await store.journal(rows[0]!.userId)).toEqual(batch[0]!.journal);
  });

  it('two transitions of one user in a batch run in one transaction, each against its version', async () => {
    const { pool, counter } = countingPool();
    pools.push(pool);
    const store = await factory.open({ pool });
    await store.submit([sampleOnboarding(sampleRecord({ userId: 'x' }), { wakeAt: T0 })], { now: T0 });
    const [row] = await store.claimDue({ now: T0, limit: 1, owner: 'w', leaseMs: LEASE });
    counter.queries = 0;
    const results = await store.commit([
      transition(row!, { state: 'userCreated', releaseLease: false }),
      transition({ ...row!, version: row!.version + 1 }, { state: 'verificationPending' }),
    ]);
    expect(results.map((r) => r.committed)).toEqual([true, true]);
    // BEGIN, one statement per round, COMMIT.
    expect(counter.queries).toBe(4);
    expect((await store.journal('x')).map((j) => j.event)).toEqual([
      'POLICY_RECORDED',
      'USER_UPSERTED',
      'POLICY_RECORDED',
      'USER_UPSERTED',
    ]);
  });

  it('with erasePersonalDataWhenTerminal, the commit that sets an outcome erases the record and digest', async () => {
    const store = await factory.open({ schema: freshSchemaName(), erasePersonalDataWhenTerminal: true });
    await store.submit(
      [
        sampleOnboarding(sampleRecord({ userId: 'done' }), { wakeAt: T0 }),
        sampleOnboarding(sampleRecord({ userId: 'going' }), { wakeAt: T0 }),
      ],
      { now: T0 },
    );
    const rows = await store.claimDue({ now: T0, limit: 2, owner: 'w', leaseMs: LEASE });
    await store.commit(
      rows.map((row) =>
        row.userId === 'done'
          ? transition(row, { state: 'verified', outcome: 'verified', wakeAt: null })
          : transition(row),
      ),
    );
    expect(await store.loadRecord('done')).toBeUndefined();
    expect(await store.loadRecord('going')).toEqual(sampleRecord({ userId: 'going' }));
    const { rows: digests } = await factory.admin.query(
      `SELECT user_id, record_digest IS NULL AS erased FROM "${store.schema}".onboardings ORDER BY user_id`,
    );
    expect(digests).toEqual([
      { user_id: 'done', erased: true },
      { user_id: 'going', erased: false },
    ]);
  });
});
