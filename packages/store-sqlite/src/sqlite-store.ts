import type {
  ClaimOptions,
  CommitResult,
  CommitTransition,
  InputRecord,
  JournalEntry,
  Lane,
  NewOnboarding,
  OnboardingRow,
  OnboardingStore,
  Outcome,
  StateCounts,
  SubmitOutcome,
  TopLevelState,
  TransitionCount,
} from '@kyc-handoff/core';
import { checkOutboxUser, LANES, RECORD_RULES_VERSION, TransitionTally, TurnBatch } from '@kyc-handoff/core';
import {
  canonicalJson,
  createRecordCipher,
  ENCRYPTION_KEY_ENV,
  type Keyring,
  openStoredRecord,
  verifyKeyring,
} from '@kyc-handoff/core/crypto';
import Database from 'better-sqlite3';
import { createPrivateFile } from './files.js';
import { prepareList } from './list.js';
import { migrate } from './migrations.js';
import { prepareOutbox } from './outbox.js';
import {
  CLAIM_QUEUE_SQL,
  type ClaimQueue,
  COUNTS_SQL,
  LANE_QUEUES,
  NEXT_WAKE_AT_SQL,
  ROW_COLUMNS,
  TAKE_LEASES_SQL,
} from './statements.js';

export interface SqliteStoreOptions {
  /** Database file; created if missing. `:memory:` works for throwaway use. */
  path: string;
  /** Required: records are stored encrypted. Typed optional so a missing key gets a clear error. */
  keyring?: Keyring | undefined;
  /**
   * NORMAL (default): in WAL mode a power loss can drop the last commits but never corrupts the
   * file; every Crossmint write is idempotent, so a lost commit costs at most one repeated call.
   * FULL: every commit is fsynced, slower.
   */
  synchronous?: 'NORMAL' | 'FULL' | undefined;
  /** Delete the record in the same transaction as the commit that makes an onboarding terminal. */
  erasePersonalDataWhenTerminal?: boolean | undefined;
  /** How long a write waits for another connection's lock before failing (default 5 s). */
  busyTimeoutMs?: number | undefined;
}

export interface SqliteStore extends OnboardingStore {
  /** The migration versions this open applied (empty when the schema was already current). */
  migrationsApplied(): number[];
  /** Moves the WAL into the database file and truncates the WAL. */
  checkpoint(): void;
  /** How many stored records each key id encrypts: a rotation is finished when only the new id is left. */
  recordsByKeyId(): Record<string, number>;
  /**
   * Re-encrypts (and re-digests) every record not under the current key, in transactions of
   * `batchSize`; afterwards the old key can be removed from the keyring. Returns how many it rewrote.
   */
  reencryptRecords(options?: { batchSize?: number | undefined; now?: number | undefined }): number;
  /** The underlying connection, for diagnostics and tests; do not write through it. */
  readonly raw: Database.Database;
}

/** Journal rows per INSERT at most (JOURNAL_COLUMNS parameters each, far below SQLite's limit). */
const JOURNAL_ROWS_PER_INSERT = 16;
const JOURNAL_COLUMNS = 6;

interface DbRow {
  user_id: string;
  state: string;
  snapshot: string;
  machine_version: number;
  version: number;
  wake_at: number | null;
  attempts: number;
  last_error: string | null;
  outcome: string | null;
  created_at: number;
  updated_at: number;
}

/** A claim candidate: the row and its rowid, to take the lease by. */
interface ClaimedDbRow extends DbRow {
  row_id: number;
}

/** A snapshot whose bytes do not parse is handed on as unreadable: the engine quarantines that row. */
function parseSnapshot(text: string): OnboardingRow['snapshot'] {
  try {
    return JSON.parse(text) as OnboardingRow['snapshot'];
  } catch {
    return { value: null, context: null, unreadable: 'the stored snapshot is not valid JSON' };
  }
}

function toRow(r: DbRow): OnboardingRow {
  return {
    userId: r.user_id,
    // The column holds what a commit wrote; a damaged value fails restoreSnapshot's check against
    // the snapshot, and the engine quarantines that row.
    state: r.state as TopLevelState,
    snapshot: parseSnapshot(r.snapshot),
    machineVersion: r.machine_version,
    version: r.version,
    wakeAt: r.wake_at,
    attempts: r.attempts,
    lastError: r.last_error,
    outcome: r.outcome as Outcome | null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (options.keyring === undefined || options.keyring === null) {
    throw new Error(
      `the SQLite store keeps records encrypted and needs a key: set ${ENCRYPTION_KEY_ENV} ` +
        '(generate one with `openssl rand -base64 32`), or use demo mode, which keeps a generated key ' +
        'in a file next to the database',
    );
  }
  const cipher = createRecordCipher(options.keyring);
  const eraseWhenTerminal = options.erasePersonalDataWhenTerminal === true;

  // Created 0600 before SQLite opens it; SQLite gives the WAL and shared-memory files the same mode.
  createPrivateFile(options.path);
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`);
    db.pragma('foreign_keys = ON');
    // Erased ciphertext is overwritten rather than left in free pages.
    db.pragma('secure_delete = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  let applied: number[];
  try {
    applied = migrate(db, Date.now());
    checkKeyring(db, options.keyring, Date.now());
  } catch (error) {
    db.close();
    throw error;
  }

  // Prepared once: better-sqlite3 statements are reusable and preparing is the costly part.
  const q = {
    digestOf: db.prepare<[string], { record_digest: string | null }>(
      'SELECT record_digest FROM onboardings WHERE user_id = ?',
    ),
    // Nothing when the user is known: a submit inserts first and reads the stored digest only then,
    // which spares the many new users of an import a lookup each.
    insertOnboarding: db.prepare(`
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, attempts,
                               record_digest, created_at, updated_at)
      VALUES (@userId, @state, @snapshot, @machineVersion, 1, @wakeAt, 0, @digest, @now, @now)
      ON CONFLICT (user_id) DO NOTHING`),
    setDigest: db.prepare('UPDATE onboardings SET record_digest = ? WHERE user_id = ?'),
    upsertRecord: db.prepare(`
      INSERT INTO records (user_id, key_id, ciphertext, rules, updated_at)
      VALUES (@userId, @keyId, @ciphertext, @rules, @now)
      ON CONFLICT (user_id) DO UPDATE SET key_id = excluded.key_id, ciphertext = excluded.ciphertext,
                                          rules = excluded.rules, updated_at = excluded.updated_at`),
    deleteRecord: db.prepare('DELETE FROM records WHERE user_id = ?'),
    loadRecord: db.prepare<[string], { ciphertext: string; rules: number | null }>(
      'SELECT ciphertext, rules FROM records WHERE user_id = ?',
    ),
    takeLeases: db.prepare<[string, number, string]>(TAKE_LEASES_SQL),
    renew: db.prepare(
      'UPDATE onboardings SET lease_expires_at = @until WHERE user_id = @userId AND lease_owner = @owner',
    ),
    // No RETURNING (see takeLease): the row it updates had version expectedVersion, so now has one more.
    commit: db.prepare<Record<string, unknown>>(`
      UPDATE onboardings SET
        state = @state, snapshot = @snapshot, version = version + 1, wake_at = @wakeAt, attempts = @attempts,
        last_error = @lastError, outcome = @outcome, updated_at = @now,
        lease_owner = CASE WHEN @release THEN NULL ELSE lease_owner END,
        lease_expires_at = CASE WHEN @release THEN NULL ELSE lease_expires_at END
      WHERE user_id = @userId AND version = @expectedVersion`),
    get: db.prepare<[string], DbRow>(`SELECT ${ROW_COLUMNS} FROM onboardings WHERE user_id = ?`),
    journal: db.prepare<
      [string, number],
      {
        user_id: string;
        at: number;
        from_state: string;
        event: string;
        to_state: string;
        detail: string | null;
      }
    >(`
      SELECT user_id, at, from_state, event, to_state, detail FROM (
        SELECT * FROM journal WHERE user_id = ? ORDER BY id DESC LIMIT ?
      ) ORDER BY id`),
    keyUsage: db.prepare<[], { key_id: string; n: number }>(
      'SELECT key_id, COUNT(*) AS n FROM records GROUP BY key_id',
    ),
    staleRecords: db.prepare<[string, number], { user_id: string; ciphertext: string; rules: number | null }>(
      'SELECT user_id, ciphertext, rules FROM records WHERE key_id <> ? LIMIT ?',
    ),
    counts: db.prepare<[], { state: string; n: number }>(
      'SELECT state, COUNT(*) AS n FROM onboardings GROUP BY state',
    ),
    errorKinds: db.prepare<[], { kind: string; n: number }>(COUNTS_SQL.errorKinds),
    requestedItems: db.prepare<[], { item: string; n: number }>(COUNTS_SQL.requestedItems),
    transitions: db.prepare<[], TransitionCount>(COUNTS_SQL.transitions),
    countTransition: db.prepare<[string, string, string, number]>(COUNTS_SQL.countTransition),
  };
  const outbox = prepareOutbox(db);
  const list = prepareList<DbRow>(db);

  const claimFrom = Object.fromEntries(
    Object.entries(CLAIM_QUEUE_SQL).map(([queue, sql]) => [
      queue,
      db.prepare<{ now: number; limit: number }, ClaimedDbRow>(sql),
    ]),
  ) as Record<ClaimQueue, Database.Statement<{ now: number; limit: number }, ClaimedDbRow>>;
  const nextWakeAt = Object.fromEntries(
    Object.entries(NEXT_WAKE_AT_SQL).map(([lane, sql]) => [lane, db.prepare<[], number | null>(sql).pluck()]),
  ) as Record<keyof typeof NEXT_WAKE_AT_SQL, Database.Statement<[], number | null>>;

  // A commit's journal rows go in as one multi-row INSERT: one statement per row cost 60 % more.
  const journalInserts = new Map<number, Database.Statement>();
  const journalInsert = (rows: number) => {
    let statement = journalInserts.get(rows);
    if (statement === undefined) {
      statement = db.prepare(
        `INSERT INTO journal (user_id, at, from_state, event, to_state, detail) VALUES ${Array.from(
          { length: rows },
          () => '(?, ?, ?, ?, ?, ?)',
        ).join(', ')}`,
      );
      journalInserts.set(rows, statement);
    }
    return statement;
  };
  /** The journal rows of a whole commit, in order, as one flat list of their column values. */
  const appendJournal = (values: readonly (string | number | null)[]) => {
    const perInsert = JOURNAL_ROWS_PER_INSERT * JOURNAL_COLUMNS;
    for (let from = 0; from < values.length; from += perInsert) {
      const chunk = values.slice(from, from + perInsert);
      journalInsert(chunk.length / JOURNAL_COLUMNS).run(chunk);
    }
  };

  /**
   * `json`: the record as JSON; its canonical form serves, so a submit serialises a record once.
   * `rules`: the RECORD_RULES_VERSION it was validated under. The engine validates every record it
   * hands a store, so a record from submit or replaceRecord is valid under the current one.
   */
  const storeRecord = (
    userId: string,
    json: string,
    now: number,
    rules: number | null = RECORD_RULES_VERSION,
  ) => {
    q.upsertRecord.run({
      userId,
      keyId: cipher.currentKeyId,
      // The user id is authenticated with the ciphertext: a record copied to another row will not open.
      ciphertext: cipher.encrypt(json, userId),
      rules,
      now,
    });
  };

  const erase = (userId: string) => {
    q.deleteRecord.run(userId);
    // The digest is derived from personal data too, so it goes with the record.
    q.setDigest.run(null, userId);
  };

  const submitTx = db.transaction((items: readonly NewOnboarding[], update: boolean, now: number) => {
    for (const item of items) if (item.outbox !== undefined) checkOutboxUser(item.record.userId, item.outbox);
    const outcomes: SubmitOutcome[] = [];
    for (const item of items) {
      const userId = item.record.userId;
      const canonical = canonicalJson(item.record);
      const digest = cipher.digest(canonical);
      const inserted = q.insertOnboarding.run({
        userId,
        state: item.state,
        snapshot: JSON.stringify(item.snapshot),
        machineVersion: item.machineVersion,
        wakeAt: item.wakeAt,
        digest,
        now,
      });
      if (inserted.changes === 1) {
        storeRecord(userId, canonical, now);
        if (item.outbox !== undefined) outbox.write(userId, [item.outbox], now, true);
        outcomes.push({ userId, status: 'created' });
        continue;
      }
      const existing = q.digestOf.get(userId)!;
      if (existing.record_digest !== null && cipher.digestMatches(canonical, existing.record_digest)) {
        outcomes.push({ userId, status: 'unchanged' });
      } else if (update) {
        storeRecord(userId, canonical, now);
        q.setDigest.run(digest, userId);
        outcomes.push({ userId, status: 'updated' });
      } else {
        outcomes.push({ userId, status: 'conflict' });
      }
    }
    return outcomes;
  });

  const claimTx = db.transaction(({ now, limit, owner, leaseMs, lane }: ClaimOptions) => {
    // Each queue in turn fills what the ones before left: started onboardings before new ones, so a
    // backlog of new ones cannot starve them.
    const n = Math.max(0, Math.trunc(limit));
    const claimed: OnboardingRow[] = [];
    for (const queue of queuesOf(lane)) {
      const rest = n - claimed.length;
      if (rest <= 0) break;
      const rows = claimFrom[queue].all({ now, limit: rest });
      if (rows.length === 0) continue;
      q.takeLeases.run(owner, now + leaseMs, JSON.stringify(rows.map((r) => r.row_id)));
      for (const r of rows) claimed.push(toRow({ ...r, version: r.version + 1 }));
    }
    return claimed;
  });

  const renewTx = db.transaction((userIds: readonly string[], owner: string, until: number) => {
    for (const userId of userIds) q.renew.run({ userId, owner, until });
  });

  // One transaction, so one fsync, for a whole batch of transitions: the group commit.
  const commitTx = db.transaction((transitions: readonly CommitTransition[]) => {
    for (const t of transitions) for (const payload of t.outbox ?? []) checkOutboxUser(t.userId, payload);
    const results: CommitResult[] = [];
    const counted = new TransitionTally();
    // The batch's journal rows go in together at the end: a few statements for the whole batch
    // rather than one per onboarding. Each user's rows keep their order, so their ids do too.
    const journal: (string | number | null)[] = [];
    for (const t of transitions) {
      const updated = q.commit.run({
        userId: t.userId,
        expectedVersion: t.expectedVersion,
        state: t.state,
        snapshot: JSON.stringify(t.snapshot),
        wakeAt: t.wakeAt,
        attempts: t.attempts,
        lastError: t.lastError,
        outcome: t.outcome,
        now: t.now,
        release: t.releaseLease ? 1 : 0,
      });
      if (updated.changes === 0) {
        results.push({ userId: t.userId, committed: false });
        continue;
      }
      for (const j of t.journal) journal.push(t.userId, j.at, j.from, j.event, j.to, j.detail ?? null);
      counted.add(t.journal);
      if (t.outbox !== undefined && t.outbox.length > 0) outbox.write(t.userId, t.outbox, t.now);
      if (t.eraseRecord === true || (eraseWhenTerminal && t.outcome !== null)) erase(t.userId);
      results.push({ userId: t.userId, committed: true, newVersion: t.expectedVersion + 1 });
    }
    appendJournal(journal);
    for (const { from, event, to, count } of counted.counts()) q.countTransition.run(from, event, to, count);
    return results;
  });

  const replaceTx = db.transaction((userId: string, record: InputRecord, now: number) => {
    if (q.digestOf.get(userId) === undefined) {
      throw new Error(`no onboarding for user ${userId}: submit it before replacing its record`);
    }
    const canonical = canonicalJson(record);
    storeRecord(userId, canonical, now);
    q.setDigest.run(cipher.digest(canonical), userId);
  });

  const eraseTx = db.transaction((userId: string) => erase(userId));

  const reencryptBatch = db.transaction((limit: number, now: number) => {
    const stale = q.staleRecords.all(cipher.currentKeyId, limit);
    for (const { user_id: userId, ciphertext, rules } of stale) {
      let json: string;
      try {
        json = cipher.decrypt(ciphertext, userId);
      } catch (error) {
        throw new Error(`cannot re-encrypt the record of user ${userId}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      // The same record under a new key: still validated under the version it was.
      storeRecord(userId, json, now, rules);
      q.setDigest.run(cipher.digest(canonicalJson(JSON.parse(json))), userId);
    }
    return stale.length;
  });

  // The record loads asked for in one turn share one read transaction: outside one, every
  // statement begins and ends its own, whose locking cost four times the lookup.
  const recordLoads = new TurnBatch(
    db.transaction((userIds: readonly string[]) => userIds.map((userId) => q.loadRecord.get(userId))),
    (userId: string, stored: { ciphertext: string; rules: number | null } | undefined) =>
      stored === undefined ? undefined : openStoredRecord(cipher, userId, stored.ciphertext, stored.rules),
  );

  // better-sqlite3 is synchronous; wrapping keeps the port's Promise shape and turns throws into rejections.
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  // Every write transaction runs IMMEDIATE: each reads before it writes, and a deferred one would
  // fail with SQLITE_BUSY (instead of waiting) if another process wrote in between.
  return {
    raw: db,
    migrationsApplied: () => [...applied],
    recordsByKeyId: () => Object.fromEntries(q.keyUsage.all().map((u) => [u.key_id, u.n])),
    reencryptRecords: (opts = {}) => {
      const batchSize = Math.max(1, Math.trunc(opts.batchSize ?? 500));
      let total = 0;
      for (;;) {
        const n = reencryptBatch.immediate(batchSize, opts.now ?? Date.now());
        total += n;
        if (n < batchSize) return total;
      }
    },
    checkpoint: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
    },

    submit: (items, opts) => run(() => submitTx.immediate(items, opts.update === true, opts.now)),
    claimDue: (opts) => run(() => claimTx.immediate(opts)),
    renewLeases: (userIds, owner, leaseUntil) => run(() => renewTx.immediate(userIds, owner, leaseUntil)),
    commit: (transitions) => run(() => commitTx.immediate(transitions)),
    get: (userId) =>
      run(() => {
        const r = q.get.get(userId);
        return r === undefined ? undefined : toRow(r);
      }),

    loadRecord: (userId) => recordLoads.ask(userId),

    replaceRecord: (userId, record, now) => run(() => replaceTx.immediate(userId, record, now)),
    erasePersonalData: (userId) => run(() => eraseTx.immediate(userId)),

    journal: (userId, opts) =>
      run(() =>
        q.journal
          .all(userId, opts?.limit === undefined ? -1 : Math.max(0, Math.trunc(opts.limit)))
          .map((j): JournalEntry => {
            const e: JournalEntry = {
              userId: j.user_id,
              at: j.at,
              from: j.from_state,
              event: j.event,
              to: j.to_state,
            };
            if (j.detail !== null) e.detail = j.detail;
            return e;
          }),
      ),

    countsByState: () =>
      run(() => {
        const counts: StateCounts = {};
        for (const { state, n } of q.counts.all()) counts[state as TopLevelState] = n;
        return counts;
      }),

    nextWakeAt: (lane) =>
      run(() => {
        queuesOf(lane);
        return nextWakeAt[lane ?? 'all'].get() ?? null;
      }),

    list: (opts) => run(() => list.page(opts).map(toRow)),

    countsByErrorKind: () =>
      run(() => Object.fromEntries(q.errorKinds.all().map(({ kind, n }) => [kind, n]))),

    countsByRequestedItem: () =>
      run(() => Object.fromEntries(q.requestedItems.all().map(({ item, n }) => [item, n]))),

    countsByTransition: () => run(() => q.transitions.all()),

    claimOutbox: (opts) => run(() => outbox.claim.immediate(opts)),
    settleOutbox: (settlements) => run(() => outbox.settle.immediate(settlements)),
    outboxStats: () => run(() => outbox.stats()),
    replayOutbox: (opts) => run(() => outbox.replay.immediate(opts)),
    nextOutboxAt: () => run(() => outbox.next()),

    close: () =>
      run(() => {
        recordLoads.flush();
        if (db.open) db.close();
      }),
  };
}

/** The queues a claim of `lane` reads; a lane the port does not know is a programmer error. */
function queuesOf(lane: Lane | undefined): readonly ClaimQueue[] {
  const queues = LANE_QUEUES[lane ?? 'all'] as readonly ClaimQueue[] | undefined;
  if (queues === undefined) throw new Error(`unknown lane ${String(lane)}: use one of ${LANES.join(', ')}`);
  return queues;
}

/** Key ids the stored records use, by skipping through records_by_key: one probe per id, not per row. */
const KEY_IDS_IN_USE_SQL = `
  WITH RECURSIVE k(id) AS (
    SELECT (SELECT MIN(key_id) FROM records)
    UNION ALL
    SELECT (SELECT MIN(key_id) FROM records WHERE key_id > k.id) FROM k WHERE k.id IS NOT NULL
  )
  SELECT id FROM k WHERE id IS NOT NULL`;

/**
 * Refuses a keyring that cannot open this store (KeyringMismatchError) and records the checks of the
 * keys it newly relies on. IMMEDIATE, so two processes opening one file agree on the first check.
 */
function checkKeyring(db: Database.Database, keyring: Keyring, now: number): void {
  db.transaction(() => {
    const checks = db
      .prepare<[], { keyId: string; check: string }>(
        'SELECT key_id AS keyId, key_check AS "check" FROM key_checks',
      )
      .all();
    const checked = new Set(checks.map((c) => c.keyId));
    const sampleOf = db.prepare<[string], { userId: string; ciphertext: string }>(
      'SELECT user_id AS userId, ciphertext FROM records WHERE key_id = ? LIMIT 1',
    );
    const inUse = db
      .prepare<[], string>(KEY_IDS_IN_USE_SQL)
      .pluck()
      .all()
      .map((keyId) => ({ keyId, sample: checked.has(keyId) ? undefined : sampleOf.get(keyId) }));
    const insert = db.prepare(
      'INSERT OR IGNORE INTO key_checks (key_id, key_check, created_at) VALUES (?, ?, ?)',
    );
    for (const c of verifyKeyring(keyring, checks, inUse)) insert.run(c.keyId, c.check, now);
  }).immediate();
}
