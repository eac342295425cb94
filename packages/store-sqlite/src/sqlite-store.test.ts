import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORD_RULES_VERSION } from '@kyc-handoff/core';
import { generateKey, KeyringMismatchError, parseKeyring } from '@kyc-handoff/core/crypto';
import { CANARY, canaryRecord, sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { runStoreContract } from '@kyc-handoff/core/testing/contract';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import { CLAIM_QUEUE_SQL, CLAIM_QUEUES, NEXT_WAKE_AT_SQL, TAKE_LEASES_SQL } from './statements.js';

const T0 = 1_750_000_000_000;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kyc-handoff-sqlite-'));
}

runStoreContract(
  'sqlite (file)',
  async () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    const key = generateKey();
    let store = openSqliteStore({ path, keyring: parseKeyring(`k1:${key}`) });
    return {
      store,
      keyId: 'k1',
      key,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      tamper: {
        snapshot: async (userId) => {
          store.raw
            .prepare('UPDATE onboardings SET snapshot = \'{"value":"policyPending\' WHERE user_id = ?')
            .run(userId);
        },
        record: async (userId) => {
          const { ciphertext } = store.raw
            .prepare<[string], { ciphertext: string }>('SELECT ciphertext FROM records WHERE user_id = ?')
            .get(userId)!;
          const flipped =
            ciphertext.slice(0, -2) + (ciphertext.at(-2) === 'A' ? 'B' : 'A') + ciphertext.at(-1);
          store.raw.prepare('UPDATE records SET ciphertext = ? WHERE user_id = ?').run(flipped, userId);
        },
      },
      reopen: async (keys) => {
        await store.close();
        store = openSqliteStore({ path, keyring: parseKeyring(keys) });
        return store;
      },
    };
  },
  { encrypted: true },
);

describe('sqlite store', () => {
  let dir: string;
  let path: string;
  const open: SqliteStore[] = [];
  const openStore = (options: Partial<Parameters<typeof openSqliteStore>[0]> = {}) => {
    const store = openSqliteStore({ path, keyring: parseKeyring(`main:${KEY}`), ...options });
    open.push(store);
    return store;
  };
  const KEY = generateKey();
  const NEXT = generateKey();

  beforeEach(() => {
    dir = tempDir();
    path = join(dir, 'store.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to open without a keyring, saying how to provide one', () => {
    expect(() => openSqliteStore({ path, keyring: undefined })).toThrow(
      /needs a key: set KYC_HANDOFF_ENCRYPTION_KEY.*demo mode/,
    );
  });

  it('applies the migrations on first open, records them, and applies none on reopen', async () => {
    const first = openStore();
    expect(first.migrationsApplied()).toEqual(MIGRATIONS.map((m) => m.version));
    await first.close();
    const again = openStore();
    expect(again.migrationsApplied()).toEqual([]);
    const recorded = again.raw
      .prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version')
      .all();
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ version: m.version, applied_at: expect.any(Number) })));
  });

  it('refuses a database from a newer schema than it knows', async () => {
    const s = openStore();
    s.raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)').run();
    await s.close();
    expect(() => openStore()).toThrow(/schema version 999.*upgrade kyc-handoff/);
  });

  it('runs in WAL mode with synchronous NORMAL by default and FULL on request', async () => {
    const normal = openStore();
    expect(normal.raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(normal.raw.pragma('synchronous', { simple: true })).toBe(1);
    expect(normal.raw.pragma('busy_timeout', { simple: true })).toBe(5000);
    await normal.close();
    const full = openStore({ synchronous: 'FULL', busyTimeoutMs: 250 });
    expect(full.raw.pragma('synchronous', { simple: true })).toBe(2);
    expect(full.raw.pragma('busy_timeout', { simple: true })).toBe(250);
  });

  it('keeps a partial index on wake_at per claim queue, and every claim and nextWakeAt reads its own in order', () => {
    const s = openStore();
    const indexSql = (name: string) =>
      s.raw.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(name) as
        | string
        | undefined;
    expect(indexSql('onboardings_started_due')).toMatch(
      /\(wake_at, user_id\)\s+WHERE wake_at IS NOT NULL AND state <> 'policyPending'$/,
    );
    expect(indexSql('onboardings_write_started_due')).toMatch(
      /\(wake_at, user_id\)\s+WHERE wake_at IS NOT NULL AND state = 'userCreated'$/,
    );
    expect(indexSql('onboardings_new_due')).toMatch(
      /\(wake_at\)\s+WHERE wake_at IS NOT NULL AND state = 'policyPending'$/,
    );
    expect(indexSql('onboardings_read_due')).toMatch(
      /\(wake_at, user_id\)\s+WHERE wake_at IS NOT NULL AND state = 'verificationPending'$/,
    );
    // Migration 4 dropped it: no query reads it any more.
    expect(indexSql('onboardings_due')).toBeUndefined();
    const indexes = s.raw.pragma('index_list(onboardings)') as { name: string; partial: number }[];
    for (const { index } of Object.values(CLAIM_QUEUES))
      expect(indexes.find((i) => i.name === index)?.partial, index).toBe(1);
    // Many rows: most finished, the rest new (an import) or under review, a few started, so that a
    // wrong plan (the state index plus a sort of every new row, or a scan) would look cheaper to a
    // planner that could not use the partial index.
    const insert = s.raw.prepare(`
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, created_at, updated_at)
      VALUES (?, ?, '{}', 1, 1, ?, 0, 0)`);
    s.raw.transaction(() => {
      for (let i = 0; i < 60_000; i++) {
        const state = ['verified', 'policyPending', 'verificationPending', 'verified', 'policyPending'][
          i % 5
        ]!;
        insert.run(`u${i}`, i % 97 === 0 ? 'userCreated' : state, state === 'verified' ? null : T0 + i);
      }
    })();
    const plan = (sql: string, analyzed: boolean) =>
      (
        s.raw
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(sql.includes('@now') ? { now: T0, limit: 10 } : []) as {
          detail: string;
        }[]
      )
        .map((p) => `${analyzed ? 'analyzed' : 'fresh'}: ${p.detail}`)
        .join('\n');
    for (const analyzed of [false, true]) {
      if (analyzed) s.raw.exec('ANALYZE');
      for (const [queue, sql] of Object.entries(CLAIM_QUEUE_SQL)) {
        const claim = plan(sql, analyzed);
        expect(claim, queue).toMatch(
          new RegExp(
            `^[a-z]+: SEARCH onboardings USING INDEX ${CLAIM_QUEUES[queue as keyof typeof CLAIM_QUEUES].index} \\(wake_at>\\? AND wake_at<\\?\\)$`,
          ),
        );
      }
      for (const [lane, sql] of Object.entries(NEXT_WAKE_AT_SQL)) {
        const next = plan(sql, analyzed);
        expect(next, lane).toMatch(/USING INDEX onboardings_\w+_due/);
        expect(next, lane).not.toMatch(/TEMP B-TREE|SCAN onboardings|USING INDEX onboardings_state/);
      }
      // The leases of a claim's rows: a lookup by rowid each, never a pass over the table.
      const lease = (
        s.raw.prepare(`EXPLAIN QUERY PLAN ${TAKE_LEASES_SQL}`).all('w', 1, '[1,2]') as { detail: string }[]
      ).map((p) => p.detail);
      expect(lease).toContain('SEARCH onboardings USING INTEGER PRIMARY KEY (rowid=?)');
      expect(lease.join('\n')).not.toMatch(/SCAN onboardings/);
    }
  });

  it('migration 4 on a file from before it keeps every row claimable, new ones after the started', async () => {
    // A file as kyc-handoff left it before migration 4, holding a started and two new onboardings.
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version <= 3)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(m.version);
    }
    old.exec(`
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, created_at, updated_at)
      VALUES ('new-b', 'policyPending', '{}', 1, 1, 5, 0, 0), ('started', 'userCreated', '{}', 1, 1, 9, 0, 0),
             ('new-a', 'policyPending', '{}', 1, 1, 5, 0, 0)`);
    old.close();
    const s = openStore();
    expect(s.migrationsApplied()).toEqual([4, 5, 6, 7]);
    expect(await s.nextWakeAt('write')).toBe(5);
    const claimed = await s.claimDue({ now: 10, limit: 10, owner: 'w', leaseMs: 1000, lane: 'write' });
    expect(claimed.map((r) => r.userId)).toEqual(['started', 'new-b', 'new-a']);
  });

  it('migration 6 on a file from before it counts the journal already there by transition', async () => {
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version <= 5)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(m.version);
    }
    old.exec(`
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, created_at, updated_at)
      VALUES ('a', 'userCreated', '{}', 1, 3, 5, 0, 0), ('b', 'userCreated', '{}', 1, 2, 5, 0, 0);
      INSERT INTO journal (user_id, at, from_state, event, to_state)
      VALUES ('a', 1, 'policyPending', 'STEP_FAILED', 'policyPending'),
             ('a', 2, 'policyPending', 'POLICY_RECORDED', 'userCreated'),
             ('b', 3, 'policyPending', 'POLICY_RECORDED', 'userCreated')`);
    old.close();
    const s = openStore();
    expect(s.migrationsApplied()).toEqual([6, 7]);
    const row = await s.get('b');
    await s.commit([
      {
        userId: 'b',
        expectedVersion: row!.version,
        state: 'verificationPending',
        snapshot: { value: 'verificationPending', context: {} },
        wakeAt: 9,
        attempts: 0,
        lastError: null,
        outcome: null,
        journal: [
          { userId: 'b', at: 4, from: 'userCreated', event: 'USER_UPSERTED', to: 'verificationPending' },
        ],
        releaseLease: true,
        now: 4,
      },
    ]);
    expect(await s.countsByTransition()).toEqual(
      expect.arrayContaining([
        { from: 'policyPending', event: 'STEP_FAILED', to: 'policyPending', count: 1 },
        { from: 'policyPending', event: 'POLICY_RECORDED', to: 'userCreated', count: 2 },
        { from: 'userCreated', event: 'USER_UPSERTED', to: 'verificationPending', count: 1 },
      ]),
    );
    expect(await s.countsByTransition()).toHaveLength(3);
  });

  it('new onboardings of one batch are still claimed in submit order after a VACUUM', async () => {
    const s = openStore();
    const batch = ['kim', 'ada', 'zoe', 'bob', 'max', 'eve'];
    await s.submit(
      batch.map((userId) => sampleOnboarding(sampleRecord({ userId }), { wakeAt: T0 })),
      { now: T0 },
    );
    s.raw.exec('VACUUM');
    const claimed = await s.claimDue({ now: T0, limit: 10, owner: 'w', leaseMs: 1000, lane: 'write' });
    expect(claimed.map((r) => r.userId)).toEqual(batch);
  });

  it('the raw database and WAL files never contain the canary SSN or email', async () => {
    const s = openStore();
    const record = canaryRecord('canary-1');
    await s.submit([sampleOnboarding(record)], { now: T0 });
    await s.submit(
      [sampleOnboarding(sampleRecord({ ...record, privacyPolicyAcceptedAt: '2026-05-05T00:00:00Z' }))],
      {
        now: T0,
        update: true,
      },
    );
    const [row] = await s.claimDue({ now: T0, limit: 1, owner: 'w', leaseMs: 1000 });
    await s.commit([
      {
        userId: row!.userId,
        expectedVersion: row!.version,
        state: 'userCreated',
        snapshot: row!.snapshot,
        wakeAt: T0 + 1,
        attempts: 1,
        lastError: 'transient: status 503',
        outcome: null,
        journal: [
          { userId: row!.userId, at: T0, from: 'policyPending', event: 'POLICY_RECORDED', to: 'userCreated' },
        ],
        releaseLease: true,
        now: T0,
      },
    ]);
    const scan = (label: string) => {
      for (const file of [path, `${path}-wal`]) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(file);
        } catch {
          continue;
        }
        for (const needle of [CANARY.ssn, CANARY.email, '987654320']) {
          expect(bytes.includes(Buffer.from(needle, 'utf8')), `${needle} in ${file} ${label}`).toBe(false);
          expect(
            bytes.includes(Buffer.from(needle, 'utf16le')),
            `${needle} (utf16) in ${file} ${label}`,
          ).toBe(false);
        }
      }
    };
    scan('before checkpoint');
    s.checkpoint();
    expect(readFileSync(path).length).toBeGreaterThan(0);
    scan('after checkpoint');
    expect((await s.loadRecord('canary-1'))?.kycData?.identityDocument?.number).toBe(CANARY.ssn);
  });

  it('stores the record encrypted under the current key id, once', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }))], { now: T0 });
    const stored = s.raw.prepare('SELECT user_id, key_id, ciphertext FROM records').all() as {
      key_id: string;
      ciphertext: string;
    }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]?.key_id).toBe('main');
    expect(stored[0]?.ciphertext).toMatch(/^v1\.main\./);
  });

  it('opened with another key under the same id, the store refuses at once, and the data stays readable', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(canaryRecord('canary-1'))], { now: T0 });
    await s.close();
    const otherKey = generateKey();
    let error: unknown;
    try {
      openStore({ keyring: parseKeyring(`main:${otherKey}`) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyringMismatchError);
    expect((error as Error).message).toMatch(
      /key with id main .* is not the one this store was encrypted with/,
    );
    for (const secret of [KEY, otherKey, CANARY.ssn, CANARY.email])
      expect((error as Error).message).not.toContain(secret);
    expect((await openStore().loadRecord('canary-1'))?.kycData?.email).toBe(CANARY.email);
  });

  it('opened without the old key after a rotation, the store refuses at once and says which key to add back', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }))], { now: T0 });
    await s.close();
    expect(() => openStore({ keyring: parseKeyring(`next:${generateKey()}`) })).toThrow(
      /encrypted with key id main, which KYC_HANDOFF_ENCRYPTION_KEY does not contain .*keep the old key/,
    );
    const rotated = openStore({ keyring: parseKeyring(`next:${generateKey()},main:${KEY}`) });
    expect((await rotated.loadRecord('alice'))?.userId).toBe('alice');
    // A digest made under the old key still recognises the same record.
    expect(await rotated.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }))], { now: T0 })).toEqual([
      { userId: 'alice', status: 'unchanged' },
    ]);
  });

  it('a store written before key checks existed is checked by decrypting one record, then remembered', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }))], { now: T0 });
    s.raw.exec('DELETE FROM key_checks');
    await s.close();
    expect(() => openStore({ keyring: parseKeyring(`main:${generateKey()}`) })).toThrow(KeyringMismatchError);
    const right = openStore();
    expect(right.raw.prepare('SELECT key_id FROM key_checks').pluck().all()).toEqual(['main']);
    await right.close();
  });

  it('creates the database file with mode 0600, and SQLite gives its WAL the same', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }))], { now: T0 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
  });

  it('reencryptRecords finishes a rotation: afterwards the old key can be dropped', async () => {
    const s = openStore();
    await s.submit(
      ['a', 'b', 'c'].map((userId) => sampleOnboarding(sampleRecord({ userId }))),
      { now: T0 },
    );
    await s.close();
    const both = openStore({ keyring: parseKeyring(`next:${NEXT},main:${KEY}`) });
    expect(both.recordsByKeyId()).toEqual({ main: 3 });
    expect(both.reencryptRecords({ batchSize: 2 })).toBe(3);
    expect(both.recordsByKeyId()).toEqual({ next: 3 });
    expect(both.reencryptRecords()).toBe(0);
    await both.close();
    const onlyNew = openStore({ keyring: parseKeyring(`next:${NEXT}`) });
    expect((await onlyNew.loadRecord('b'))?.userId).toBe('b');
    expect(await onlyNew.submit([sampleOnboarding(sampleRecord({ userId: 'c' }))], { now: T0 })).toEqual([
      { userId: 'c', status: 'unchanged' },
    ]);
  });

  describe('the rules version a record was validated under', () => {
    /** A record no rule accepts (a 13th month), handed to the store as the engine never would. */
    const loose = (userId: string) => {
      const base = canaryRecord(userId);
      return { ...base, userDetails: { ...base.userDetails!, dateOfBirth: '1990-13-45' } };
    };
    const rulesOf = (s: SqliteStore, userId: string) =>
      s.raw
        .prepare<[string], number | null>('SELECT rules FROM records WHERE user_id = ?')
        .pluck()
        .get(userId);
    const problemOf = (load: Promise<unknown>) =>
      load.then(
        () => 'loaded',
        (error: { problem?: string; message: string }) => `${error.problem}: ${error.message}`,
      );

    it('is stored with each record; under it the record loads as stored, under any other it is validated', async () => {
      const s = openStore();
      await s.submit([sampleOnboarding(loose('u1'))], { now: T0 });
      expect(rulesOf(s, 'u1')).toBe(RECORD_RULES_VERSION);
      expect(await s.loadRecord('u1')).toEqual(loose('u1'));
      // As a record stored before migration 7, and as one stored under an earlier version.
      for (const rules of [null, RECORD_RULES_VERSION - 1]) {
        s.raw.prepare('UPDATE records SET rules = ? WHERE user_id = ?').run(rules, 'u1');
        const problem = await problemOf(s.loadRecord('u1'));
        expect(problem).toMatch(/^record-invalid: .*no longer passes validation: userDetails\.dateOfBirth/);
        expect(problem).not.toContain(CANARY.ssn);
      }
    });

    it('replaceRecord stores it too, and re-encryption keeps the one each record had', async () => {
      const s = openStore();
      await s.submit(
        ['a', 'b', 'c'].map((userId) => sampleOnboarding(sampleRecord({ userId }))),
        { now: T0 },
      );
      s.raw.prepare('UPDATE records SET rules = NULL').run();
      await s.replaceRecord('a', sampleRecord({ userId: 'a' }), T0 + 1);
      s.raw.prepare('UPDATE records SET rules = 0 WHERE user_id = ?').run('b');
      expect(['a', 'b', 'c'].map((u) => rulesOf(s, u))).toEqual([RECORD_RULES_VERSION, 0, null]);
      await s.close();
      const both = openStore({ keyring: parseKeyring(`next:${NEXT},main:${KEY}`) });
      expect(both.reencryptRecords()).toBe(3);
      expect(both.recordsByKeyId()).toEqual({ next: 3 });
      expect(['a', 'b', 'c'].map((u) => rulesOf(both, u))).toEqual([RECORD_RULES_VERSION, 0, null]);
    });

    it('loads asked for together are read together, and one unusable record fails only its own load', async () => {
      const s = openStore();
      await s.submit(
        [sampleRecord({ userId: 'a' }), loose('b'), sampleRecord({ userId: 'c' })].map((r) =>
          sampleOnboarding(r),
        ),
        { now: T0 },
      );
      s.raw.prepare('UPDATE records SET rules = NULL WHERE user_id = ?').run('b');
      const loads = ['a', 'b', 'c', 'nobody'].map((userId) => s.loadRecord(userId));
      // Asked for in one turn, read after it: a write made meanwhile in that turn is seen.
      s.raw.prepare('DELETE FROM records WHERE user_id = ?').run('c');
      expect(await loads[0]).toEqual(sampleRecord({ userId: 'a' }));
      expect(await problemOf(loads[1]!)).toMatch(/^record-invalid: .*userDetails\.dateOfBirth/);
      expect(await loads[2]).toBeUndefined();
      expect(await loads[3]).toBeUndefined();
    });

    it('a load asked for just before close is answered, not dropped', async () => {
      const s = openStore();
      await s.submit([sampleOnboarding(sampleRecord({ userId: 'a' }))], { now: T0 });
      const load = s.loadRecord('a');
      await s.close();
      expect(await load).toEqual(sampleRecord({ userId: 'a' }));
      await expect(s.loadRecord('a')).rejects.toThrow(/database connection is not open/);
    });
  });

  it('erasePersonalDataWhenTerminal deletes the record in the commit that sets an outcome', async () => {
    const s = openStore({ erasePersonalDataWhenTerminal: true });
    await s.submit(
      [
        sampleOnboarding(sampleRecord({ userId: 'done' })),
        sampleOnboarding(sampleRecord({ userId: 'busy' })),
      ],
      { now: T0 },
    );
    const rows = await s.claimDue({ now: T0, limit: 2, owner: 'w', leaseMs: 1000 });
    await s.commit(
      rows.map((row) => ({
        userId: row.userId,
        expectedVersion: row.version,
        state: row.userId === 'done' ? 'verified' : 'userCreated',
        snapshot: row.snapshot,
        wakeAt: row.userId === 'done' ? null : T0 + 5,
        attempts: 0,
        lastError: null,
        outcome: row.userId === 'done' ? 'verified' : null,
        journal: [],
        releaseLease: true,
        now: T0,
      })),
    );
    expect(await s.loadRecord('done')).toBeUndefined();
    expect((await s.get('done'))?.outcome).toBe('verified');
    expect(
      s.raw.prepare('SELECT record_digest FROM onboardings WHERE user_id = ?').pluck().get('done'),
    ).toBeNull();
    expect((await s.loadRecord('busy'))?.userId).toBe('busy');
  });

  it('keeps the record after a terminal commit when the option is off', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'done' }))], { now: T0 });
    const [row] = await s.claimDue({ now: T0, limit: 1, owner: 'w', leaseMs: 1000 });
    await s.commit([
      {
        userId: 'done',
        expectedVersion: row!.version,
        state: 'verified',
        snapshot: row!.snapshot,
        wakeAt: null,
        attempts: 0,
        lastError: null,
        outcome: 'verified',
        journal: [],
        releaseLease: true,
        now: T0,
      },
    ]);
    expect((await s.loadRecord('done'))?.userId).toBe('done');
  });

  it('data survives close and reopen', async () => {
    const s = openStore();
    await s.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }), { wakeAt: T0 })], { now: T0 });
    await s.close();
    const again = openStore();
    expect((await again.get('alice'))?.wakeAt).toBe(T0);
    expect((await again.loadRecord('alice'))?.userId).toBe('alice');
  });

  it('two connections to one file never claim the same onboarding', async () => {
    const a = openStore();
    const b = openStore();
    await a.submit(
      Array.from({ length: 50 }, (_, i) =>
        sampleOnboarding(sampleRecord({ userId: `u${i}` }), { wakeAt: T0 }),
      ),
      { now: T0 },
    );
    const claimed: string[] = [];
    for (let round = 0; round < 10; round++) {
      for (const [store, owner] of [
        [a, 'wa'],
        [b, 'wb'],
      ] as const) {
        const rows = await store.claimDue({ now: T0, limit: 3, owner, leaseMs: 60_000 });
        claimed.push(...rows.map((r) => r.userId));
      }
    }
    expect(claimed).toHaveLength(50);
    expect(new Set(claimed).size).toBe(50);
  });
});
