import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { claimNewSql, claimStartedSql, type PostgresStore } from '../src/index.js';
import { statements } from '../src/statements.js';

const claimSql = (schema: string) => statements(schema, false).claim;

import { freshSchemaName, postgresAvailable, storeFactory, T0 } from './__test-utils__/postgres.js';

const LEASE = 30_000;

async function seedDue(store: PostgresStore, n: number, prefix = 'due'): Promise<void> {
  const items = Array.from({ length: n }, (_, i) =>
    sampleOnboarding(sampleRecord({ userId: `${prefix}-${String(i).padStart(4, '0')}` }), { wakeAt: T0 + i }),
  );
  await store.submit(items, { now: T0 });
}

describe.skipIf(!postgresAvailable)('postgres store: claims and leases', () => {
  const factory = storeFactory();
  afterEach(() => factory.cleanup());
  afterAll(() => factory.end());

  it('two stores on two pools claiming the same 500 due rows at once never get the same user', async () => {
    const schema = freshSchemaName();
    const a = await factory.open({ schema, poolSize: 4 });
    const b = await factory.open({ schema, poolSize: 4 });
    await seedDue(a, 500);
    const drain = async (store: PostgresStore, owner: string) => {
      const got: string[] = [];
      for (;;) {
        const rows = await store.claimDue({ now: T0 + 1_000, limit: 7, owner, leaseMs: LEASE });
        if (rows.length === 0) return got;
        got.push(...rows.map((r) => r.userId));
      }
    };
    const results = await Promise.all([
      drain(a, 'worker-a1'),
      drain(a, 'worker-a2'),
      drain(b, 'worker-b1'),
      drain(b, 'worker-b2'),
    ]);
    const all = results.flat();
    expect(all).toHaveLength(500);
    expect(new Set(all).size).toBe(500);
    // Both pools did some of the work (SKIP LOCKED lets them pass each other instead of queueing).
    expect(results[0]!.length + results[1]!.length).toBeGreaterThan(0);
    expect(results[2]!.length + results[3]!.length).toBeGreaterThan(0);
  });

  it('expired leases are reclaimed by another worker, whose versions fence off the first one', async () => {
    const schema = freshSchemaName();
    const a = await factory.open({ schema });
    const b = await factory.open({ schema });
    await seedDue(a, 50);
    const first = await a.claimDue({ now: T0 + 100, limit: 50, owner: 'a', leaseMs: 1_000 });
    expect(first).toHaveLength(50);
    expect(await b.claimDue({ now: T0 + 1_100, limit: 100, owner: 'b', leaseMs: LEASE })).toEqual([]);
    const taken = await b.claimDue({ now: T0 + 1_101, limit: 100, owner: 'b', leaseMs: LEASE });
    expect(taken.map((r) => r.userId).sort()).toEqual(first.map((r) => r.userId).sort());
    const late = await a.commit(
      first.map((row) => ({
        userId: row.userId,
        expectedVersion: row.version,
        state: 'late',
        snapshot: { value: 'late', context: {} },
        wakeAt: null,
        attempts: 1,
        lastError: null,
        outcome: null,
        journal: [],
        releaseLease: true,
        now: T0 + 2_000,
      })),
    );
    expect(late.every((r) => !r.committed)).toBe(true);
    expect(await a.countsByState()).toEqual({ policyPending: 50 });
  });

  it('both claim queries read a partial index in order with many new and terminal rows', async () => {
    const schema = freshSchemaName();
    const store = await factory.open({ schema });
    // An import backlog (new rows due since their submit, earlier than any started one), many finished
    // rows, and a few started ones: the started query must not wade through the backlog, and the new
    // one must not sort it.
    await factory.admin.query(
      `INSERT INTO "${schema}".onboardings (user_id, state, snapshot, machine_version, version, wake_at,
                                             attempts, outcome, created_at, updated_at)
       SELECT 'done-' || g, 'verified', '{"value":"verified","context":{}}'::jsonb, 1, 3, NULL, 0, 'verified', 0, 0
       FROM generate_series(1, 20000) g
       UNION ALL
       SELECT 'new-' || lpad(g::text, 6, '0'), 'policyPending', '{"value":"policyPending","context":{}}'::jsonb, 1, 1,
              ${T0}::bigint + g, 0, NULL, 0, 0
       FROM generate_series(1, 20000) g
       UNION ALL
       SELECT 'started-' || lpad(g::text, 3, '0'), 'verificationPending',
              '{"value":"verificationPending","context":{}}'::jsonb, 1, 2, ${T0}::bigint + 30000 + g, 0, NULL, 0, 0
       FROM generate_series(1, 100) g`,
    );
    await factory.admin.query(`ANALYZE "${schema}".onboardings`);
    const plan = async (sql: string, values: unknown[]) =>
      (await factory.admin.query(`EXPLAIN ${sql}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
    const now = T0 + 100_000;
    const started = await plan(claimStartedSql(schema), [now, 10]);
    expect(started).toMatch(/Index Scan using onboardings_started_due/);
    expect(started).not.toMatch(/Seq Scan|Sort/);
    const fresh = await plan(claimNewSql(schema), [now, 10]);
    expect(fresh).toMatch(/Index Scan using onboardings_due/);
    expect(fresh).not.toMatch(/Seq Scan|Sort/);
    const claimed = await store.claimDue({ now, limit: 103, owner: 'w', leaseMs: LEASE });
    expect(claimed.map((r) => r.userId)).toEqual([
      ...Array.from({ length: 100 }, (_, i) => `started-${String(i + 1).padStart(3, '0')}`),
      'new-000001',
      'new-000002',
      'new-000003',
    ]);
    // Only the new rows the claim took were locked and leased: the rest are free for the next claim.
    const next = await store.claimDue({ now, limit: 2, owner: 'w2', leaseMs: LEASE });
    expect(next.map((r) => r.userId)).toEqual(['new-000004', 'new-000005']);
  });

  it('locks no more rows than it claims, so a concurrent claimer is not starved of new ones', async () => {
    const schema = freshSchemaName();
    const store = await factory.open({ schema });
    await seedDue(store, 20, 'new');
    await store.submit(
      ['started-1', 'started-2'].map((userId) =>
        sampleOnboarding(sampleRecord({ userId }), { wakeAt: T0 + 500, state: 'userCreated' }),
      ),
      { now: T0 },
    );
    const client = await factory.admin.connect();
    try {
      await client.query('BEGIN');
      // EXPLAIN ANALYZE runs the claim: 2 started rows leave 3 of the limit of 5 to new ones, and the
      // fresh CTE is read lazily, so it fetches (and locks) those 3, not 5.
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${claimSql(schema)}`,
        [T0 + 1_000, 5, 'w', LEASE],
      );
      const text = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/CTE Scan on fresh \(actual rows=3 loops=1\)/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
