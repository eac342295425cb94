import type { ClientBase } from 'pg';
import { quoteIdent } from './identifiers.js';

export interface Migration {
  version: number;
  /** Runs with `search_path` set to the store's schema, so names are unqualified. */
  sql: string;
}

/**
 * Append-only: a released migration is never edited, a change is a new version. Personal data lives
 * only in `records` (encrypted), so erasing it is one DELETE. Times are epoch milliseconds (BIGINT),
 * as in the port. `user_id` uses the "C" collation: byte order, the same as the claim order the
 * engine sees, and cheaper comparisons than a linguistic collation.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE onboardings (
        user_id          TEXT COLLATE "C" PRIMARY KEY,
        state            TEXT NOT NULL,
        snapshot         JSONB NOT NULL,
        machine_version  INTEGER NOT NULL,
        version          BIGINT NOT NULL,
        wake_at          BIGINT,
        lease_owner      TEXT,
        lease_expires_at BIGINT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        outcome          TEXT,
        record_digest    TEXT,
        created_at       BIGINT NOT NULL,
        updated_at       BIGINT NOT NULL
      );
      -- Finished and waiting onboardings have wake_at NULL and are left out of the index, so claiming
      -- stays cheap when millions of rows are done. user_id makes the claim order total without a sort.
      CREATE INDEX onboardings_due ON onboardings (wake_at, user_id) WHERE wake_at IS NOT NULL;
      CREATE INDEX onboardings_state ON onboardings (state);

      CREATE TABLE records (
        user_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES onboardings (user_id),
        key_id     TEXT NOT NULL,
        ciphertext TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE journal (
        id         BIGSERIAL PRIMARY KEY,
        user_id    TEXT COLLATE "C" NOT NULL,
        at         BIGINT NOT NULL,
        from_state TEXT NOT NULL,
        event      TEXT NOT NULL,
        to_state   TEXT NOT NULL,
        detail     TEXT
      );
      CREATE INDEX journal_by_user ON journal (user_id, id);

      -- The Crossmint rate budget shared by every worker of this store. last_granted exists because
      -- PostgreSQL 15's RETURNING cannot see the row's old tokens: the upsert stores what it granted.
      CREATE TABLE budget_buckets (
        name         TEXT PRIMARY KEY,
        tokens       DOUBLE PRECISION NOT NULL,
        updated_at   BIGINT NOT NULL,
        last_granted DOUBLE PRECISION NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- claimDue takes onboardings already in progress before new ones (a backlog of new ones, all due
      -- at their submit time, would otherwise starve every started one). This index holds only due,
      -- started rows, so that first pick reads them in order without wading through the new ones;
      -- the new ones are read from onboardings_due with a state filter.
      CREATE INDEX onboardings_started_due ON onboardings (wake_at, user_id)
        WHERE wake_at IS NOT NULL AND state <> 'policyPending';
    `,
  },
  {
    version: 3,
    sql: `
      -- One HMAC of a constant per key id, made when the key first encrypts here: at open, a keyring
      -- that holds another key under an id is refused before anything is read or sent.
      CREATE TABLE key_checks (
        key_id     TEXT PRIMARY KEY,
        key_check  TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      -- Which key ids records use, read at every open by skipping through this index.
      CREATE INDEX records_by_key ON records (key_id);
    `,
  },
];

/** Two int4 keys for pg_advisory_xact_lock: one for kyc-handoff migrations, one for the schema. */
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('kyc_handoff.migrate'), hashtext($1))";

/**
 * Applies the migrations not yet recorded in `<schema>.schema_migrations`, in one transaction under
 * a transaction-level advisory lock, so several processes opening a fresh schema at once apply each
 * migration exactly once (the others wait, then find it recorded). Returns the versions it applied.
 */
export async function migrate(client: ClientBase, schema: string, now: number): Promise<number[]> {
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query(LOCK_SQL, [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
      version    INTEGER PRIMARY KEY,
      applied_at BIGINT NOT NULL
    )`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`);
    const applied = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...MIGRATIONS.map((m) => m.version));
    if (newest > known) {
      throw new Error(
        `schema ${schema} has version ${newest} but this kyc-handoff knows only up to ${known}: upgrade kyc-handoff`,
      );
    }
    await client.query(`SET LOCAL search_path TO ${s}`);
    const done: number[] = [];
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${s}.schema_migrations (version, applied_at) VALUES ($1, $2)`, [
        m.version,
        now,
      ]);
      done.push(m.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
