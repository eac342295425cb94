import { LANE_STATES, type Lane } from '@kyc-handoff/core';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { statements } from '../src/statements.js';
import { CLAIM_QUEUES, type ClaimQueue, claimQueueSql, LANE_QUEUES, nextWakeAtSql } from '../src/testing.js';
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

  it('workers on two pools claiming both lanes and no lane at once never get the same user', async () => {
    const schema = freshSchemaName();
    const a = await factory.open({ schema, poolSize: 4 });
    const b = await factory.open({ schema, poolSize: 4 });
    const states = ['policyPending', 'userCreated', 'verificationPending'] as const;
    await a.submit(
      Array.from({ length: 600 }, (_, i) =>
        sampleOnboarding(sampleRecord({ userId: `u-${String(i).padStart(4, '0')}` }), {
          wakeAt: T0 + (i % 50),
          state: states[i % 3]!,
        }),
      ),
      { now: T0 },
    );
    const outOfLane: string[] = [];
    const drain = async (store: PostgresStore, owner: string, lanes: readonly (Lane | undefined)[]) => {
      const got: string[] = [];
      for (let round = 0; ; round++) {
        const lane = lanes[round % lanes.length];
        const rows = await store.claimDue({ now: T0 + 1_000, limit: 7, owner, leaseMs: LEASE, lane });
        got.push(...rows.map((r) => r.userId));
        for (const r of rows)
          if (lane !== undefined && !(LANE_STATES[lane] as readonly string[]).includes(r.state))
            outOfLane.push(`${lane}: ${r.userId} in ${r.state}`);
        if (rows.length === 0 && lane === undefined) return got;
      }
    };
    const results = await Promise.all([
      drain(a, 'a-write', ['write', undefined]),
      drain(a, 'a-read', ['read', undefined]),
      drain(b, 'b-write', ['write', 'read', undefined]),
      drain(b, 'b-read', ['read', 'write', undefined]),
    ]);
    const all = results.flat();
    expect(all).toHaveLength(600);
    expect(new Set(all).size).toBe(600);
    expect(outOfLane).toEqual([]);
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
        state: 'failed',
        snapshot: { value: 'failed', context: {} },
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

  it('every claim queue and every nextWakeAt reads its partial index in order, with many rows in the others', async () => {
    const schema = freshSchemaName();
    const store = await factory.open({ schema });
    // Many finished rows, an import backlog of new ones (due since their submit, in batches sharing a
    // wake_at, ids in reverse of submit order), many under review and a few started: no query may
    // wade through another queue's rows or sort its own.
    await factory.admin.query(
      `INSERT INTO "${schema}".onboardings (user_id, state, snapshot, machine_version, version, wake_at,
                                             attempts, outcome, created_at, updated_at)
       SELECT 'done-' || g, 'verified', '{"value":"verified","context":{}}'::jsonb, 1, 3, NULL, 0, 'verified', 0, 0
       FROM generate_series(1, 20000) g
       UNION ALL
       SELECT 'new-' || lpad((20001 - g)::text, 6, '0'), 'policyPending', '{"value":"policyPending","context":{}}'::jsonb,
              1, 1, ${T0}::bigint + g / 1000, 0, NULL, 0, 0
       FROM generate_series(1, 20000) g
       UNION ALL
       SELECT 'review-' || lpad(g::text, 6, '0'), 'verificationPending',
              '{"value":"verificationPending","context":{}}'::jsonb, 1, 2, ${T0}::bigint + 30000 + g, 0, NULL, 0, 0
       FROM generate_series(1, 20000) g
       UNION ALL
       SELECT 'started-' || lpad(g::text, 3, '0'), 'userCreated',
              '{"value":"userCreated","context":{}}'::jsonb, 1, 2, ${T0}::bigint + 60000 + g, 0, NULL, 0, 0
       FROM generate_series(1, 100) g`,
    );
    await factory.admin.query(`ANALYZE "${schema}".onboardings`);
    const plan = async (sql: string, values: unknown[]) =>
      (await factory.admin.query(`EXPLAIN ${sql}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
    const now = T0 + 100_000;
    for (const [queue, { index }] of Object.entries(CLAIM_QUEUES)) {
      const claim = await plan(claimQueueSql(schema, queue as ClaimQueue), [now, 10]);
      expect(claim, queue).toMatch(new RegExp(`Index Scan using ${index} `));
      expect(claim, queue).not.toMatch(/Seq Scan|Sort|Bitmap/);
    }
    for (const [lane, queues] of Object.entries(LANE_QUEUES)) {
      const next = await plan(nextWakeAtSql(schema, lane as keyof typeof LANE_QUEUES), []);
      for (const queue of queues)
        expect(next, lane).toMatch(new RegExp(`Index Scan using ${CLAIM_QUEUES[queue].index} `));
      expect(next, lane).not.toMatch(/Seq Scan|Sort|Bitmap|onboardings_state/);
    }

    const claim = async (lane: Lane | undefined, limit: number) =>
      (await store.claimDue({ now, limit, owner: 'w', leaseMs: LEASE, lane })).map((r) => r.userId);
    expect(await claim('write', 103)).toEqual([
      ...Array.from({ length: 100 }, (_, i) => `started-${String(i + 1).padStart(3, '0')}`),
      'new-020000',
      'new-019999',
      'new-019998',
    ]);
    // Only the new rows the claim took were locked and leased: the rest are free for the next claim.
    expect(await claim('write', 2)).toEqual(['new-019997', 'new-019996']);
    expect(await claim('read', 2)).toEqual(['review-000001', 'review-000002']);
    expect(await claim(undefined, 2)).toEqual(['review-000003', 'review-000004']);
    expect(await store.nextWakeAt('write')).toBe(T0);
    expect(await store.nextWakeAt('read')).toBe(T0 + 30005);
  });

  it.each(['claimAll', 'claimWrite'] as const)(
    '%s locks no more rows than it claims, so a concurrent claimer is not starved of new ones',
    async (claim) => {
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
          `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${statements(schema, false)[claim]}`,
          [T0 + 1_000, 5, 'w', LEASE],
        );
        const text = rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(text).toMatch(/CTE Scan on fresh \(actual rows=3 loops=1\)/);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    },
  );
});
