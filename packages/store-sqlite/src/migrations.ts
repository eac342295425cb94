import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  sql: string;
}

/**
 * Append-only: a released migration is never edited, a change is a new version. Personal data lives
 * only in `records` (encrypted), so erasing it is one DELETE.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE onboardings (
        user_id          TEXT PRIMARY KEY,
        state            TEXT NOT NULL,
        snapshot         TEXT NOT NULL,
        machine_version  INTEGER NOT NULL,
        version          INTEGER NOT NULL,
        wake_at          INTEGER,
        lease_owner      TEXT,
        lease_expires_at INTEGER,
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        outcome          TEXT,
        record_digest    TEXT,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      );
      -- Finished and waiting onboardings have wake_at NULL and are left out of the index, so claiming
      -- stays cheap when millions of rows are done. user_id makes the claim order total without a sort.
      CREATE INDEX onboardings_due ON onboardings (wake_at, user_id) WHERE wake_at IS NOT NULL;
      CREATE INDEX onboardings_state ON onboardings (state);

      CREATE TABLE records (
        user_id    TEXT PRIMARY KEY REFERENCES onboardings (user_id),
        key_id     TEXT NOT NULL,
        ciphertext TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE journal (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id    TEXT NOT NULL,
        at         INTEGER NOT NULL,
        from_state TEXT NOT NULL,
        event      TEXT NOT NULL,
        to_state   TEXT NOT NULL,
        detail     TEXT
      );
      CREATE INDEX journal_by_user ON journal (user_id, id);
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
        created_at INTEGER NOT NULL
      );
      -- Which key ids records use, read at every open by skipping through this index.
      CREATE INDEX records_by_key ON records (key_id);
    `,
  },
  {
    version: 4,
    sql: `
      -- One queue per lane of claimDue (and nextWakeAt), each a partial index read in claim order,
      -- so a claim of one lane never wades through the other lane's due rows or the finished ones.
      -- The state terms repeat the claim queries' conditions word for word, which is how SQLite
      -- knows it may use a partial index.
      CREATE INDEX onboardings_write_started_due ON onboardings (wake_at, user_id)
        WHERE wake_at IS NOT NULL AND state = 'userCreated';
      -- On (wake_at) alone, which SQLite keeps as (wake_at, rowid): new onboardings in submit order.
      CREATE INDEX onboardings_new_due ON onboardings (wake_at)
        WHERE wake_at IS NOT NULL AND state = 'policyPending';
      CREATE INDEX onboardings_read_due ON onboardings (wake_at, user_id)
        WHERE wake_at IS NOT NULL AND state = 'verificationPending';
      -- New onboardings were claimed from this one; now no query reads it, and every commit that
      -- moves a wake-up would still pay for it.
      DROP INDEX onboardings_due;
    `,
  },
  {
    version: 5,
    sql: `
      -- The outbox: the events a platform acts on, written in the transaction of the transition that
      -- produced them. AUTOINCREMENT, so an id (the webhook-id, evt_<id>) is never handed out twice,
      -- even should old events one day be deleted. seq numbers each user's events 1, 2, … in commit
      -- order; a user's events are delivered in that order. The payload holds ids, states and
      -- reasons only; last_error is a redacted, personal-data-free message.
      CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id          TEXT NOT NULL REFERENCES onboardings (user_id),
        seq              INTEGER NOT NULL,
        type             TEXT NOT NULL,
        payload          TEXT NOT NULL,
        created_at       INTEGER NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        lease_owner      TEXT,
        lease_expires_at INTEGER,
        last_error       TEXT,
        delivered_at     INTEGER
      );
      -- One event per number per user; also how a claim checks that no earlier event of the user is
      -- still pending, and how a write finds the user's last number.
      CREATE UNIQUE INDEX outbox_user_seq ON outbox (user_id, seq);
      -- Only the events still to deliver, in id order: a claim reads these and never the millions
      -- delivered before them.
      CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
      -- outboxStats counts by status from this narrow index rather than from rows holding payloads.
      CREATE INDEX outbox_status ON outbox (status);

      -- list: a page of one state in user id order (several states: one page of each, merged), and
      -- counts by state from the same index, which replaces the one on state alone.
      CREATE INDEX onboardings_state_user ON onboardings (state, user_id);
      DROP INDEX onboardings_state;
      -- list by outcome: only terminal onboardings have one.
      CREATE INDEX onboardings_outcome ON onboardings (outcome, user_id) WHERE outcome IS NOT NULL;
      -- list of the onboardings changed since a moment, when few are.
      CREATE INDEX onboardings_updated ON onboardings (updated_at);
      -- countsByErrorKind reads only the rows with an error, and only this index.
      CREATE INDEX onboardings_errors ON onboardings (last_error) WHERE last_error IS NOT NULL;
    `,
  },
  {
    version: 6,
    sql: `
      -- The journal by (from, event, to), kept as counters by each commit: the console's machine
      -- chart would otherwise group millions of journal rows on every refresh. Counted from the
      -- journal once here, so a store migrated mid-run shows its whole history.
      CREATE TABLE transition_counts (
        from_state TEXT NOT NULL,
        event      TEXT NOT NULL,
        to_state   TEXT NOT NULL,
        n          INTEGER NOT NULL,
        PRIMARY KEY (from_state, event, to_state)
      ) WITHOUT ROWID;
      INSERT INTO transition_counts (from_state, event, to_state, n)
        SELECT from_state, event, to_state, COUNT(*) FROM journal GROUP BY from_state, event, to_state;
    `,
  },
  {
    version: 7,
    sql: `
      -- The RECORD_RULES_VERSION a record was validated under when it was written: a record loaded
      -- under the same version is not validated again. NULL for records written before this
      -- column: they are validated at every load, as they were.
      ALTER TABLE records ADD COLUMN rules INTEGER;
    `,
  },
];

/** Applies the migrations not yet recorded in `schema_migrations`; returns the versions it applied. */
export function migrate(db: Database.Database, now: number): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
  )`);
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .pluck()
      .all()
      .map((v) => Number(v)),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...MIGRATIONS.map((m) => m.version));
  if (newest > known) {
    throw new Error(
      `the database has schema version ${newest} but this kyc-handoff knows only up to ${known}: upgrade kyc-handoff`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  const done: number[] = [];
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    // IMMEDIATE: two processes opening a fresh file at once must not both run migration 1.
    db.transaction(() => {
      const already = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (already !== undefined) return;
      db.exec(m.sql);
      record.run(m.version, now);
      done.push(m.version);
    }).immediate();
  }
  return done;
}
