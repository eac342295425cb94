import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openPostgresStore } from '../src/index.js';
import {
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  storeFactory,
  testKeyring,
} from './__test-utils__/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store: opening and migrations', () => {
  const factory = storeFactory();
  afterEach(() => factory.cleanup());
  afterAll(() => factory.end());

  it('applies the migrations on first open, records them, and applies none on reopen', async () => {
    const schema = freshSchemaName();
    const first = await factory.open({ schema });
    expect(first.migrationsApplied()).toEqual(MIGRATIONS.map((m) => m.version));
    await first.close();
    const again = await factory.open({ schema });
    expect(again.migrationsApplied()).toEqual([]);
    const { rows } = await factory.admin.query(
      `SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, applied_at: expect.any(String) })));
  });

  it('keeps every table in the configured schema, with the partial index for claims', async () => {
    const schema = freshSchemaName();
    await factory.open({ schema });
    const tables = await factory.admin.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'budget_buckets',
      'journal',
      'key_checks',
      'onboardings',
      'outbox',
      'records',
      'schema_migrations',
      'transition_counts',
    ]);
    const { rows } = await factory.admin.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'onboardings%due'",
      [schema],
    );
    const defs = Object.fromEntries(
      rows.map((r) => [r.indexname, r.indexdef.replace(/^.* USING btree /, '')]),
    );
    // onboardings_due went in migration 4: no query reads it any more.
    expect(defs).toEqual({
      onboardings_started_due:
        "(wake_at, user_id) WHERE ((wake_at IS NOT NULL) AND (state <> 'policyPending'::text))",
      onboardings_write_started_due:
        "(wake_at, user_id) WHERE ((wake_at IS NOT NULL) AND (state = 'userCreated'::text))",
      onboardings_new_due: "(wake_at, seq) WHERE ((wake_at IS NOT NULL) AND (state = 'policyPending'::text))",
      onboardings_read_due:
        "(wake_at, user_id) WHERE ((wake_at IS NOT NULL) AND (state = 'verificationPending'::text))",
    });
  });

  it('migration 4 numbers the rows already there, and new ones claimed after them in submit order', async () => {
    const schema = freshSchemaName();
    // A schema as kyc-handoff left it before migration 4, holding two new onboardings.
    const client = await factory.admin.connect();
    try {
      await client.query('BEGIN');
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(`SET LOCAL search_path TO "${schema}"`);
      await client.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      for (const m of MIGRATIONS.filter((m) => m.version <= 3)) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations VALUES ($1, 0)', [m.version]);
      }
      await client.query(
        `INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, created_at, updated_at)
         VALUES ('old-b', 'policyPending', '{}', 1, 1, 5, 0, 0), ('old-a', 'policyPending', '{}', 1, 1, 5, 0, 0)`,
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const store = await factory.open({ schema });
    expect(store.migrationsApplied()).toEqual([4, 5, 6]);
    const { rows } = await factory.admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".onboardings WHERE seq IS NULL`,
    );
    expect(rows[0]?.n).toBe(0);
    await store.submit(
      ['new-z', 'new-c'].map((userId) => sampleOnboarding(sampleRecord({ userId }), { wakeAt: 5 })),
      { now: 1 },
    );
    const claimed = await store.claimDue({ now: 10, limit: 10, owner: 'w', leaseMs: 1_000, lane: 'write' });
    expect(claimed.map((r) => r.userId).slice(2)).toEqual(['new-z', 'new-c']);
    expect(
      claimed
        .map((r) => r.userId)
        .slice(0, 2)
        .sort(),
    ).toEqual(['old-a', 'old-b']);
  });

  it('several stores opening one fresh schema at once all succeed, migrating it once', async () => {
    const schema = freshSchemaName();
    const stores = await Promise.all([1, 2, 3, 4].map(() => factory.open({ schema, poolSize: 1 })));
    const applied = stores.map((s) => s.migrationsApplied());
    expect(applied.filter((a) => a.length > 0)).toEqual([MIGRATIONS.map((m) => m.version)]);
    const { rows } = await factory.admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".schema_migrations`,
    );
    expect(rows[0]?.n).toBe(MIGRATIONS.length);
  });

  it('refuses a schema from a newer kyc-handoff than it knows', async () => {
    const schema = freshSchemaName();
    await factory.open({ schema });
    await factory.admin.query(`INSERT INTO "${schema}".schema_migrations VALUES (999, 0)`);
    await expect(factory.open({ schema })).rejects.toThrow(/version 999.*upgrade kyc-handoff/);
  });

  it('refuses to open without a keyring, saying how to provide one', async () => {
    await expect(
      openPostgresStore({ connectionString: PG_URL, schema: freshSchemaName(), keyring: undefined }),
    ).rejects.toThrow(/needs a key: set KYC_HANDOFF_ENCRYPTION_KEY/);
  });

  it('refuses a schema name that would need quoting', async () => {
    await expect(factory.open({ schema: 'Robert"; DROP TABLE x; --' })).rejects.toThrow(
      /schema name .* is not allowed/,
    );
  });

  it('an unreachable server is a rejected open whose message does not echo the connection string', async () => {
    const url = 'postgres://someone:s3cret-password@127.0.0.1:1/none';
    const error = await openPostgresStore({
      connectionString: url,
      keyring: testKeyring,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).not.toContain('s3cret-password');
  });
});
