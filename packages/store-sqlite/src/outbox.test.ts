import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxPayload } from '@kyc-handoff/core';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import { OUTBOX_SQL } from './statements.js';

const T0 = 1_750_000_000_000;
const KEY = generateKey();

const submitted = (userId: string): OutboxPayload => ({
  type: 'submitted',
  userId,
  state: 'policyPending',
  outcome: null,
  eligibility: null,
  requested: null,
  failure: null,
  at: T0,
});

describe('sqlite store: outbox', () => {
  let dir: string;
  let path: string;
  const open: SqliteStore[] = [];
  const openStore = () => {
    const store = openSqliteStore({ path, keyring: parseKeyring(`main:${KEY}`) });
    open.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kyc-handoff-outbox-'));
    path = join(dir, 'store.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a claim, nextOutboxAt and the stats read the pending events through their indexes, however many were delivered', () => {
    const s = openStore();
    const onboarding = s.raw.prepare(`
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, created_at, updated_at)
      VALUES (?, 'verified', '{}', 1, 3, NULL, 0, 0)`);
    const event = s.raw.prepare(`
      INSERT INTO outbox (user_id, seq, type, payload, created_at, status, attempts, next_attempt_at)
      VALUES (?, ?, 'verified', '{}', ?, ?, 0, ?)`);
    // 100,000 delivered events of 40,000 users, a few failed, and the last 300 pending (a backlog of
    // a receiver that was down), so a plan that scans the table would look no cheaper to a planner.
    s.raw.transaction(() => {
      for (let u = 0; u < 40_000; u++) onboarding.run(`u${u}`);
      for (let i = 0; i < 100_300; i++) {
        const status = i >= 100_000 ? 'pending' : i % 997 === 0 ? 'failed' : 'delivered';
        event.run(`u${i % 40_000}`, Math.floor(i / 40_000) + 1, T0 + i, status, T0 + i);
      }
    })();
    const plan = (sql: string, params: unknown) =>
      (s.raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params as never) as { detail: string }[])
        .map((p) => p.detail)
        .join('\n');
    for (const analyzed of [false, true]) {
      if (analyzed) s.raw.exec('ANALYZE');
      const claim = plan(OUTBOX_SQL.claim, { now: T0 + 200_000, limit: 10 });
      expect(claim).toMatch(/^SCAN outbox USING INDEX outbox_pending\n/);
      expect(claim).toMatch(
        /SEARCH earlier USING (COVERING )?INDEX outbox_user_seq \(user_id=\? AND seq<\?\)/,
      );
      expect(claim).not.toMatch(/TEMP B-TREE/);
      const next = plan(OUTBOX_SQL.next, []);
      expect(next).toMatch(/^(SCAN|SEARCH) outbox USING INDEX outbox_pending\n/);
      expect(next).toMatch(/SEARCH earlier USING (COVERING )?INDEX outbox_user_seq/);
      expect(plan(OUTBOX_SQL.oldestPending, [])).toMatch(/^(SCAN|SEARCH) outbox USING INDEX outbox_pending$/);
      expect(plan(OUTBOX_SQL.countsByStatus, [])).toBe('SCAN outbox USING COVERING INDEX outbox_status');
      // Numbering a user's next event reads only that user's entries of outbox_user_seq.
      expect(plan(OUTBOX_SQL.insertNext, { userId: 'u1', type: 'verified', payload: '{}', now: T0 })).toBe(
        'SEARCH outbox USING COVERING INDEX outbox_user_seq (user_id=?)',
      );
    }
    const pending = s.raw.prepare("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").pluck().get();
    expect(pending).toBe(300);
  });

  it('two connections to one file taking turns never claim the same event', async () => {
    const a = openStore();
    const b = openStore();
    await a.submit(
      Array.from({ length: 60 }, (_, i) =>
        sampleOnboarding(sampleRecord({ userId: `u${i}` }), { outbox: submitted(`u${i}`) }),
      ),
      { now: T0 },
    );
    const claimed: string[] = [];
    for (let round = 0; round < 12; round++) {
      for (const [store, owner] of [
        [a, 'da'],
        [b, 'db'],
      ] as const) {
        const events = await store.claimOutbox({ now: T0, limit: 3, owner, leaseMs: 60_000 });
        claimed.push(...events.map((e) => e.id));
      }
    }
    expect(claimed).toHaveLength(60);
    expect(new Set(claimed).size).toBe(60);
  });

  it("a failed delivery's error and attempts are kept on the event's row, and a delivery's time", async () => {
    const s = openStore();
    await s.submit(
      ['a', 'b'].map((userId) => sampleOnboarding(sampleRecord({ userId }), { outbox: submitted(userId) })),
      { now: T0 },
    );
    const [a, b] = await s.claimOutbox({ now: T0, limit: 2, owner: 'd', leaseMs: 1_000 });
    await s.settleOutbox([
      { id: a!.id, delivered: false, retryAt: null, error: 'status 410 from the receiver', now: T0 + 1 },
      { id: b!.id, delivered: true, now: T0 + 2 },
    ]);
    expect(
      s.raw
        .prepare(
          'SELECT user_id, status, attempts, last_error, delivered_at, lease_owner FROM outbox ORDER BY id',
        )
        .all(),
    ).toEqual([
      {
        user_id: 'a',
        status: 'failed',
        attempts: 1,
        last_error: 'status 410 from the receiver',
        delivered_at: null,
        lease_owner: null,
      },
      {
        user_id: 'b',
        status: 'delivered',
        attempts: 0,
        last_error: null,
        delivered_at: T0 + 2,
        lease_owner: null,
      },
    ]);
  });

  it('an event id is never handed out again, even after the newest events are deleted', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'a' }), { outbox: submitted('a') })], {
      now: T0,
    });
    const [first] = await s.claimOutbox({ now: T0, limit: 1, owner: 'd', leaseMs: 1_000 });
    // As a future pruning of delivered events would: receivers deduplicate on the id.
    s.raw.exec('DELETE FROM outbox');
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'b' }), { outbox: submitted('b') })], {
      now: T0,
    });
    const [second] = await s.claimOutbox({ now: T0, limit: 1, owner: 'd', leaseMs: 1_000 });
    expect(second?.id).not.toBe(first?.id);
  });

  it('migration 5 on a file from before it adds the outbox and keeps every onboarding listed and counted', async () => {
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version <= 4)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(m.version);
    }
    old.exec(`
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, last_error, outcome,
                               created_at, updated_at)
      VALUES ('b', 'verified', '{}', 1, 3, NULL, NULL, 'verified', 0, 5),
             ('a', 'requiresData', '{"value":"requiresData","context":{"lastError":{"kind":"transient","step":"createUser","message":"status 503"},"requested":{"missingData":["kyc-data"],"missingDocuments":[]}}}',
              1, 2, NULL, 'transient in createUser: status 503', NULL, 0, 7)`);
    old.close();
    const s = openStore();
    expect(s.migrationsApplied()).toEqual([5, 6, 7]);
    expect((await s.list({ limit: 10 })).map((r) => r.userId)).toEqual(['a', 'b']);
    expect((await s.list({ outcome: 'verified', limit: 10 })).map((r) => r.userId)).toEqual(['b']);
    expect((await s.list({ changedSince: 6, limit: 10 })).map((r) => r.userId)).toEqual(['a']);
    expect(await s.countsByState()).toEqual({ requiresData: 1, verified: 1 });
    expect(await s.countsByErrorKind()).toEqual({ transient: 1 });
    expect(await s.countsByRequestedItem()).toEqual({ 'data:kyc-data': 1 });
    expect(await s.outboxStats()).toEqual({ pending: 0, failed: 0, delivered: 0, oldestPendingAt: null });
    const [a] = await s.list({ limit: 1 });
    await s.commit([
      {
        userId: 'a',
        expectedVersion: a!.version,
        state: 'verified',
        snapshot: { value: 'verified', context: {} },
        wakeAt: null,
        attempts: 0,
        lastError: null,
        outcome: 'verified',
        journal: [],
        releaseLease: true,
        outbox: [{ ...submitted('a'), type: 'verified', state: 'verified', outcome: 'verified' }],
        now: T0,
      },
    ]);
    expect((await s.claimOutbox({ now: T0, limit: 5, owner: 'd', leaseMs: 1 })).map((e) => e.seq)).toEqual([
      1,
    ]);
  });
});
