import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { claimCandidatesSql, type PostgresStore } from '../src/index.js';
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

  it('the claim reads the partial index when most rows are terminal', async () => {
    const schema = freshSchemaName();
    const store = await factory.open({ schema });
    await factory.admin.query(
      `INSERT INTO "${schema}".onboardings (user_id, state, snapshot, machine_version, version, wake_at,
                                             attempts, outcome, created_at, updated_at)
       SELECT 'done-' || g, 'verified', '{"value":"verified","context":{}}', 1, 3, NULL, 0, 'verified', 0, 0
       FROM generate_series(1, 20000) g`,
    );
    await seedDue(store, 100);
    await factory.admin.query(`ANALYZE "${schema}".onboardings`);
    const plan = async (sql: string, values: unknown[]) =>
      (await factory.admin.query(`EXPLAIN ${sql}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
    const candidates = await plan(claimCandidatesSql(schema), [T0 + 1_000, 10]);
    expect(candidates).toMatch(/Index Scan using onboardings_due/);
    expect(candidates).not.toMatch(/Seq Scan/);
    // And the claim itself (EXPLAIN without ANALYZE does not run the UPDATE).
    const claim = await plan(
      `UPDATE "${schema}".onboardings SET lease_owner = $3 WHERE user_id IN (${claimCandidatesSql(schema)})`,
      [T0 + 1_000, 10, 'w'],
    );
    expect(claim).toMatch(/onboardings_due/);
    const claimed = await store.claimDue({ now: T0 + 1_000, limit: 10, owner: 'w', leaseMs: LEASE });
    expect(claimed.map((r) => r.userId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `due-${String(i).padStart(4, '0')}`),
    );
  });
});
