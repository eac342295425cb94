import { randomInt } from 'node:crypto';
import type {
  ClaimedOutboxEvent,
  CommitResult,
  CommitTransition,
  InputRecord,
  JournalEntry,
  Lane,
  ListOptions,
  NewOnboarding,
  OnboardingRow,
  OnboardingStore,
  OutboxPayload,
  OutboxSettlement,
  OutboxStats,
  OutboxStatus,
  Outcome,
  StateCounts,
  SubmitOutcome,
  TopLevelState,
} from '@kyc-handoff/core';
import { checkOutboxUser, LANES, listPageSize, outboxEventNumber, TurnBatch } from '@kyc-handoff/core';
import {
  canonicalJson,
  createRecordCipher,
  ENCRYPTION_KEY_ENV,
  type Keyring,
  openStoredRecord,
} from '@kyc-handoff/core/crypto';
import pg from 'pg';
import type { SharedBudgetStore } from './budget.js';
import { isConnectionError, isDeadlock } from './errors.js';
import { checkSchemaName, wakeChannel } from './identifiers.js';
import { checkKeyring } from './key-checks.js';
import { listenForWakeups } from './listener.js';
import { migrate } from './migrations.js';
import { type ListShape, listSql, statements } from './statements.js';

export interface PostgresCommonOptions {
  /** PostgreSQL schema holding every table of this store (default `kyc_handoff`); created if missing. */
  schema?: string | undefined;
  /** Required: records are stored encrypted. Typed optional so a missing key gets a clear error. */
  keyring?: Keyring | undefined;
  /** Delete the record in the same transaction as the commit that makes an onboarding terminal. */
  erasePersonalDataWhenTerminal?: boolean | undefined;
}

export type PostgresStoreOptions = PostgresCommonOptions &
  (
    | {
        /** `postgres://…`; never echoed in errors (it may hold a password). */
        connectionString: string;
        /** Connections of the pool the store creates (default 10). */
        poolSize?: number | undefined;
        pool?: never;
      }
    | {
        /** A pool owned by the caller: the store uses it and leaves it open on close(). */
        pool: pg.Pool;
        connectionString?: never;
        poolSize?: never;
      }
  );

export interface PostgresStore extends OnboardingStore, SharedBudgetStore {
  readonly schema: string;
  /** The migration versions this open applied (empty when the schema was already current). */
  migrationsApplied(): number[];
  /**
   * Calls `onWake` whenever another worker (or this one) submits, commits a wake-up or replaces a
   * record, so an idle worker can claim at once instead of waiting for its poll. Uses a dedicated
   * connection that reconnects with backoff (and then calls `onWake` once, as it may have missed
   * some). Resolves once listening; the returned function stops.
   */
  listen(onWake: () => void): Promise<() => Promise<void>>;
  /** How many stored records each key id encrypts: a rotation is finished when only the new id is left. */
  recordsByKeyId(): Promise<Record<string, number>>;
  /**
   * Re-encrypts (and re-digests) every record not under the current key, in transactions of
   * `batchSize`; afterwards the old key can be removed from the keyring. Returns how many it rewrote.
   */
  reencryptRecords(options?: { batchSize?: number | undefined; now?: number | undefined }): Promise<number>;
  /** The pool, for diagnostics and tests; do not write through it. */
  readonly pool: pg.Pool;
}

interface DbRow {
  user_id: string;
  state: string;
  snapshot: OnboardingRow['snapshot'];
  machine_version: number;
  version: string | number;
  wake_at: string | number | null;
  attempts: number;
  last_error: string | null;
  outcome: string | null;
  created_at: string | number;
  updated_at: string | number;
}

// BIGINT arrives as a string (pg does not assume it fits a JS number); epoch ms and versions do.
const num = (v: string | number): number => Number(v);
const numOrNull = (v: string | number | null): number | null => (v === null ? null : Number(v));
// Times are stored as whole epoch milliseconds; a computed wake-up (backoff with jitter) may not be one.
const ms = (v: number): number => Math.round(v);
const msOrNull = (v: number | null): number | null => (v === null ? null : Math.round(v));

function toRow(r: DbRow): OnboardingRow {
  return {
    userId: r.user_id,
    // The column holds what a commit wrote; a damaged value fails restoreSnapshot's check against
    // the snapshot, and the engine quarantines that row.
    state: r.state as TopLevelState,
    snapshot: r.snapshot,
    machineVersion: r.machine_version,
    version: num(r.version),
    wakeAt: numOrNull(r.wake_at),
    attempts: r.attempts,
    lastError: r.last_error,
    outcome: r.outcome as Outcome | null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/**
 * Splits a batch into rounds holding at most one transition per user, in order: one UPDATE cannot
 * apply two transitions to the same row, and the second must be checked against the version the
 * first produced. Almost every batch is a single round.
 */
function rounds(transitions: readonly CommitTransition[]): { index: number; t: CommitTransition }[][] {
  const out: { index: number; t: CommitTransition }[][] = [];
  const seen = new Map<string, number>();
  transitions.forEach((t, index) => {
    const round = seen.get(t.userId) ?? 0;
    seen.set(t.userId, round + 1);
    const batch = out[round] ?? [];
    batch.push({ index, t });
    out[round] = batch;
  });
  return out;
}

interface EventRow {
  id: string;
  user_id: string;
  seq: number;
  payload: OutboxPayload;
  created_at: string;
  attempts: number;
}

function toEvent(r: EventRow): ClaimedOutboxEvent {
  return {
    ...r.payload,
    id: `evt_${r.id}`,
    seq: r.seq,
    createdAt: Number(r.created_at),
    attempts: r.attempts,
  };
}

/** Splits settlements so that no round names one event twice: one UPDATE applies one per row. */
function settlementRounds(settlements: readonly OutboxSettlement[]): OutboxSettlement[][] {
  const out: OutboxSettlement[][] = [];
  const seen = new Map<string, number>();
  for (const s of settlements) {
    const round = seen.get(s.id) ?? 0;
    seen.set(s.id, round + 1);
    const batch = out[round] ?? [];
    batch.push(s);
    out[round] = batch;
  }
  return out;
}

const DEADLOCK_RETRIES = 3;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  if (options.keyring === undefined || options.keyring === null) {
    throw new Error(
      `the PostgreSQL store keeps records encrypted and needs a key: set ${ENCRYPTION_KEY_ENV} ` +
        '(generate one with `openssl rand -base64 32`)',
    );
  }
  const schema = checkSchemaName(options.schema ?? 'kyc_handoff');
  const keyring = options.keyring;
  const cipher = createRecordCipher(keyring);
  const eraseWhenTerminal = options.erasePersonalDataWhenTerminal === true;
  const channel = wakeChannel(schema);
  const counterShard = randomInt(16);
  const sql = statements(schema, eraseWhenTerminal);

  const ownsPool = options.pool === undefined;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: Math.max(1, Math.trunc(options.poolSize ?? 10)),
      application_name: 'kyc-handoff',
    });
  // An idle client whose backend is terminated emits 'error' on the pool, which then drops it;
  // without a listener that event would crash the process.
  if (ownsPool) pool.on('error', () => undefined);

  let applied: number[];
  try {
    applied = await withConnectionRetry(async () => {
      const client = await pool.connect();
      try {
        const done = await migrate(client, schema, Date.now());
        await checkKeyring(client, schema, keyring, Date.now());
        client.release();
        return done;
      } catch (error) {
        client.release(isConnectionError(error) ? (error as Error) : undefined);
        throw error;
      }
    });
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => undefined);
    throw error;
  }

  const stops = new Set<() => Promise<void>>();

  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;

  /**
   * Runs `fn` in a transaction on one client. A client that failed with a connection error is
   * destroyed rather than returned to the pool. A deadlock rolls everything back, so it is retried.
   */
  const transaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        if (isConnectionError(error)) {
          client.release(error as Error);
        } else {
          const rolledBack = await client.query('ROLLBACK').then(
            () => true,
            () => false,
          );
          client.release(rolledBack ? undefined : (error as Error));
        }
        if (isDeadlock(error) && attempt < DEADLOCK_RETRIES) continue;
        throw error;
      }
    }
  };

  const decryptRecord = (userId: string, ciphertext: string): InputRecord =>
    openStoredRecord(cipher, userId, ciphertext);

  // The record loads asked for in one turn (a claim's onboardings, each asking for its record as it
  // starts) go as one query: one round trip instead of one each.
  const recordLoads = new TurnBatch(
    async (userIds: readonly string[]) => {
      const rows = await withConnectionRetry(() =>
        query<{ user_id: string; ciphertext: string }>(sql.loadRecords, [userIds]),
      );
      const byUser = new Map(rows.map((r) => [r.user_id, r.ciphertext]));
      return userIds.map((userId) => byUser.get(userId));
    },
    (userId: string, ciphertext: string | undefined) =>
      ciphertext === undefined ? undefined : decryptRecord(userId, ciphertext),
  );

  // The user id is authenticated with the ciphertext: a record copied to another row will not open.
  const encrypt = (userId: string, record: InputRecord) => cipher.encrypt(JSON.stringify(record), userId);

  const submit = async (
    items: readonly NewOnboarding[],
    update: boolean,
    now: number,
  ): Promise<SubmitOutcome[]> => {
    if (items.length === 0) return [];
    for (const item of items) if (item.outbox !== undefined) checkOutboxUser(item.record.userId, item.outbox);
    const canonical = items.map((item) => canonicalJson(item.record));
    // The first occurrence of each user is the one that may create it.
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      if (!first.has(item.record.userId)) first.set(item.record.userId, i);
    });
    const firsts = [...first.values()];
    const digestOf = new Map(firsts.map((i) => [i, cipher.digest(canonical[i]!)]));

    return transaction(async (client) => {
      const created = new Set(
        (
          await client.query<{ user_id: string }>(sql.insertNew, [
            firsts.map((i) => items[i]!.record.userId),
            firsts.map((i) => items[i]!.state),
            firsts.map((i) => JSON.stringify(items[i]!.snapshot)),
            firsts.map((i) => items[i]!.machineVersion),
            firsts.map((i) => msOrNull(items[i]!.wakeAt)),
            firsts.map((i) => digestOf.get(i)!),
            firsts.map((i) => encrypt(items[i]!.record.userId, items[i]!.record)),
            ms(now),
            cipher.currentKeyId,
            channel,
            firsts.map((i) => items[i]!.outbox?.type ?? null),
            firsts.map((i) => (items[i]!.outbox === undefined ? null : JSON.stringify(items[i]!.outbox))),
          ])
        ).rows.map((r) => r.user_id),
      );

      // The digest each user has as the batch is applied in order.
      const digests = new Map<string, string | null>();
      for (const userId of created) digests.set(userId, digestOf.get(first.get(userId)!)!);
      const existing = [...first.keys()].filter((u) => !created.has(u));
      if (existing.length > 0) {
        // With update, the rows are locked so two updaters of one user apply one after the other.
        const { rows } = await client.query<{ user_id: string; record_digest: string | null }>(
          update ? sql.digestsForUpdate : sql.digests,
          [existing],
        );
        for (const r of rows) digests.set(r.user_id, r.record_digest);
      }

      const outcomes: SubmitOutcome[] = [];
      const replacements = new Map<string, { record: InputRecord; digest: string }>();
      items.forEach((item, i) => {
        const userId = item.record.userId;
        if (first.get(userId) === i && created.has(userId)) {
          outcomes.push({ userId, status: 'created' });
          return;
        }
        const current = digests.get(userId) ?? null;
        if (current !== null && cipher.digestMatches(canonical[i]!, current)) {
          outcomes.push({ userId, status: 'unchanged' });
        } else if (update) {
          const digest = cipher.digest(canonical[i]!);
          digests.set(userId, digest);
          replacements.set(userId, { record: item.record, digest });
          outcomes.push({ userId, status: 'updated' });
        } else {
          outcomes.push({ userId, status: 'conflict' });
        }
      });

      if (replacements.size > 0) {
        const users = [...replacements.keys()];
        await client.query(sql.replaceRecords, [
          users,
          users.map((u) => replacements.get(u)!.digest),
          users.map((u) => encrypt(u, replacements.get(u)!.record)),
          cipher.currentKeyId,
          ms(now),
          channel,
        ]);
      }
      return outcomes;
    });
  };

  const commitRound = async (
    run: (text: string, values: unknown[]) => Promise<pg.QueryResult<{ user_id: string; version: string }>>,
    round: readonly { t: CommitTransition }[],
  ): Promise<Map<string, number>> => {
    const ts = round.map((r) => r.t);
    const journal = ts.flatMap((t) => t.journal.map((j) => ({ userId: t.userId, j })));
    const events = ts.flatMap((t) => (t.outbox ?? []).map((payload) => ({ userId: t.userId, payload })));
    const { rows } = await run(sql.commit, [
      ts.map((t) => t.userId),
      ts.map((t) => t.expectedVersion),
      ts.map((t) => t.state),
      ts.map((t) => JSON.stringify(t.snapshot)),
      ts.map((t) => msOrNull(t.wakeAt)),
      ts.map((t) => t.attempts),
      ts.map((t) => t.lastError),
      ts.map((t) => t.outcome),
      ts.map((t) => t.releaseLease),
      ts.map((t) => ms(t.now)),
      journal.map((e) => e.userId),
      journal.map((e) => ms(e.j.at)),
      journal.map((e) => e.j.from),
      journal.map((e) => e.j.event),
      journal.map((e) => e.j.to),
      journal.map((e) => e.j.detail ?? null),
      channel,
      ts.map((t) => t.eraseRecord === true),
      events.map((e) => e.userId),
      events.map((e) => e.payload.type),
      events.map((e) => JSON.stringify(e.payload)),
      counterShard,
    ]);
    return new Map(rows.map((r) => [r.user_id, Number(r.version)]));
  };

  const commit = async (transitions: readonly CommitTransition[]): Promise<CommitResult[]> => {
    if (transitions.length === 0) return [];
    for (const t of transitions) for (const payload of t.outbox ?? []) checkOutboxUser(t.userId, payload);
    const batches = rounds(transitions);
    const results: CommitResult[] = new Array(transitions.length);
    const collect = (round: readonly { index: number; t: CommitTransition }[], done: Map<string, number>) => {
      for (const { index, t } of round) {
        const newVersion = done.get(t.userId);
        // A stale version: a newer write won and this late result is dropped.
        results[index] =
          newVersion === undefined
            ? { userId: t.userId, committed: false }
            : { userId: t.userId, committed: true, newVersion };
      }
    };
    if (batches.length === 1) {
      // One statement is its own transaction: one round trip for the whole batch.
      const round = batches[0]!;
      for (let attempt = 0; ; attempt++) {
        try {
          collect(round, await commitRound((text, values) => pool.query(text, values), round));
          break;
        } catch (error) {
          if (isDeadlock(error) && attempt < DEADLOCK_RETRIES) continue;
          throw error;
        }
      }
    } else {
      const done = await transaction(async (client) => {
        const all: Map<string, number>[] = [];
        for (const round of batches)
          all.push(await commitRound((text, values) => client.query(text, values), round));
        return all;
      });
      batches.forEach((round, i) => {
        collect(round, done[i]!);
      });
    }
    return results;
  };

  const reencryptBatch = (limit: number, now: number): Promise<number> =>
    transaction(async (client) => {
      const { rows } = await client.query<{ user_id: string; ciphertext: string }>(sql.staleRecords, [
        cipher.currentKeyId,
        limit,
      ]);
      if (rows.length === 0) return 0;
      const records = rows.map((r) => decryptRecord(r.user_id, r.ciphertext));
      await client.query(sql.replaceRecords, [
        rows.map((r) => r.user_id),
        records.map((record) => cipher.digest(canonicalJson(record))),
        rows.map((r, i) => encrypt(r.user_id, records[i]!)),
        cipher.currentKeyId,
        ms(now),
        null,
      ]);
      return rows.length;
    });

  const listStatements = new Map<string, string>();
  const list = async (opts: ListOptions): Promise<OnboardingRow[]> => {
    const limit = listPageSize(opts.limit);
    const states = opts.states === undefined ? [] : [...new Set<string>(opts.states)];
    // Any of no state: nothing (as SQL's IN ()).
    if (limit === 0 || (opts.states !== undefined && states.length === 0)) return [];
    const shape: ListShape = {
      states: states.length,
      after: opts.after !== undefined,
      outcome: opts.outcome !== undefined,
      changedSince: opts.changedSince !== undefined,
    };
    const key = JSON.stringify(shape);
    let text = listStatements.get(key);
    if (text === undefined) {
      text = listSql(schema, shape);
      listStatements.set(key, text);
    }
    const values: unknown[] = [limit];
    if (opts.after !== undefined) values.push(opts.after);
    if (opts.outcome !== undefined) values.push(opts.outcome);
    if (opts.changedSince !== undefined) values.push(ms(opts.changedSince));
    values.push(...states);
    const rows = await withConnectionRetry(() => query<DbRow>(text, values));
    return rows.map(toRow);
  };

  const settleOutbox = async (settlements: readonly OutboxSettlement[]): Promise<void> => {
    // Every id is checked before anything is written.
    for (const s of settlements) outboxEventNumber(s.id);
    // Each settlement is idempotent (a delivery is final, a failure counts only while pending).
    for (const round of settlementRounds(settlements)) {
      await withConnectionRetry(() =>
        query(sql.settleOutbox, [
          round.map((s) => outboxEventNumber(s.id)),
          round.map((s) => s.delivered),
          round.map((s) => (s.delivered || s.retryAt === null ? null : ms(s.retryAt))),
          round.map((s) => (s.delivered ? null : s.error)),
          round.map((s) => ms(s.now)),
        ]),
      );
    }
  };

  return {
    schema,
    pool,
    migrationsApplied: () => [...applied],

    recordsByKeyId: async () => {
      const rows = await withConnectionRetry(() => query<{ key_id: string; n: number }>(sql.keyUsage));
      return Object.fromEntries(rows.map((r) => [r.key_id, r.n]));
    },

    reencryptRecords: async (opts = {}) => {
      const batchSize = Math.max(1, Math.trunc(opts.batchSize ?? 500));
      let total = 0;
      for (;;) {
        const n = await reencryptBatch(batchSize, opts.now ?? Date.now());
        total += n;
        if (n < batchSize) return total;
      }
    },

    submit: (items, opts) => submit(items, opts.update === true, opts.now),

    claimDue: async ({ now, limit, owner, leaseMs, lane }) => {
      const statement = laneStatement(lane, sql.claimWrite, sql.claimRead, sql.claimAll);
      const n = Math.max(0, Math.trunc(limit));
      if (n === 0) return [];
      return (await query<DbRow>(statement, [ms(now), n, owner, ms(leaseMs)])).map(toRow);
    },

    renewLeases: async (userIds, owner, leaseUntil) => {
      if (userIds.length === 0) return;
      // Idempotent, so safe to repeat on a fresh connection.
      await withConnectionRetry(() => query(sql.renew, [[...userIds], owner, ms(leaseUntil)]));
    },

    commit,

    get: async (userId) => {
      const [r] = await withConnectionRetry(() => query<DbRow>(sql.get, [userId]));
      return r === undefined ? undefined : toRow(r);
    },

    loadRecord: (userId) => recordLoads.ask(userId),

    replaceRecord: async (userId, record, now) => {
      const digest = cipher.digest(canonicalJson(record));
      const rows = await withConnectionRetry(() =>
        query(sql.replaceRecords, [
          [userId],
          [digest],
          [encrypt(userId, record)],
          cipher.currentKeyId,
          ms(now),
          channel,
        ]),
      );
      if (rows.length === 0) {
        throw new Error(`no onboarding for user ${userId}: submit it before replacing its record`);
      }
    },

    erasePersonalData: async (userId) => {
      await withConnectionRetry(() => query(sql.erase, [userId]));
    },

    journal: async (userId, opts) => {
      const limit = opts?.limit === undefined ? null : Math.max(0, Math.trunc(opts.limit));
      const rows = await withConnectionRetry(() =>
        query<{
          user_id: string;
          at: string;
          from_state: string;
          event: string;
          to_state: string;
          detail: string | null;
        }>(sql.journal, [userId, limit]),
      );
      return rows.map((j): JournalEntry => {
        const e: JournalEntry = {
          userId: j.user_id,
          at: Number(j.at),
          from: j.from_state,
          event: j.event,
          to: j.to_state,
        };
        if (j.detail !== null) e.detail = j.detail;
        return e;
      });
    },

    countsByState: async () => {
      const counts: StateCounts = {};
      for (const { state, n } of await withConnectionRetry(() =>
        query<{ state: string; n: number }>(sql.counts),
      )) {
        counts[state as TopLevelState] = n;
      }
      return counts;
    },

    nextWakeAt: async (lane) => {
      const statement = laneStatement(lane, sql.nextWakeAtWrite, sql.nextWakeAtRead, sql.nextWakeAtAll);
      const [r] = await withConnectionRetry(() => query<{ next: string | null }>(statement));
      return r === undefined ? null : numOrNull(r.next);
    },

    list,

    countsByErrorKind: async () => {
      const rows = await withConnectionRetry(() => query<{ kind: string; n: number }>(sql.errorKinds));
      return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
    },

    countsByTransition: async () => {
      const rows = await withConnectionRetry(() =>
        query<{ from: string; event: string; to: string; count: string }>(sql.transitions),
      );
      return rows.map((r) => ({ from: r.from, event: r.event, to: r.to, count: Number(r.count) }));
    },

    countsByRequestedItem: async () => {
      const rows = await withConnectionRetry(() => query<{ item: string; n: number }>(sql.requestedItems));
      return Object.fromEntries(rows.map((r) => [r.item, r.n]));
    },

    claimOutbox: async ({ now, limit, owner, leaseMs }) => {
      const n = Math.max(0, Math.trunc(limit));
      if (n === 0) return [];
      const rows = await query<EventRow>(sql.claimOutbox, [ms(now), n, owner, ms(leaseMs)]);
      return rows.sort((a, b) => Number(a.id) - Number(b.id)).map(toEvent);
    },

    settleOutbox,

    outboxStats: async () => {
      const stats: OutboxStats = { pending: 0, failed: 0, delivered: 0, oldestPendingAt: null };
      for (const { status, n } of await withConnectionRetry(() =>
        query<{ status: OutboxStatus; n: number }>(sql.outboxCounts),
      )) {
        stats[status] = n;
      }
      if (stats.pending > 0) {
        const [r] = await withConnectionRetry(() => query<{ at: string | null }>(sql.oldestPending));
        stats.oldestPendingAt = numOrNull(r?.at ?? null);
      }
      return stats;
    },

    replayOutbox: async ({ since, now }) => {
      const result = await pool.query(sql.replayOutbox, [ms(since), ms(now)]);
      return result.rowCount ?? 0;
    },

    nextOutboxAt: async () => {
      const [r] = await withConnectionRetry(() => query<{ at: string | null }>(sql.nextOutboxAt));
      return numOrNull(r?.at ?? null);
    },

    takeTokens: async (bucket, want, now, perMinute, burst) => {
      const w = Math.max(0, Math.floor(want));
      if (w === 0) return { granted: 0, left: 0 };
      const [r] = await query<{ last_granted: number; tokens: number }>(sql.takeTokens, [
        bucket,
        w,
        ms(now),
        Math.max(0, perMinute),
        Math.max(0, burst),
      ]);
      return {
        granted: Math.max(0, Math.floor(Number(r?.last_granted ?? 0))),
        left: Math.max(0, Number(r?.tokens ?? 0)),
      };
    },

    returnTokens: async (bucket, count, now, perMinute, burst) => {
      const n = Math.max(0, Math.floor(count));
      if (n === 0) return;
      await query(sql.returnTokens, [bucket, n, ms(now), Math.max(0, perMinute), Math.max(0, burst)]);
    },

    listen: async (onWake) => {
      const stop = await listenForWakeups({
        clientConfig: ownsPool ? { connectionString: options.connectionString } : pool.options,
        channel,
        onWake,
      });
      const once = async () => {
        stops.delete(once);
        await stop();
      };
      stops.add(once);
      return once;
    },

    close: async () => {
      await recordLoads.flush();
      await Promise.all([...stops].map((stop) => stop()));
      if (ownsPool && !pool.ending) await pool.end();
    },
  };
}

/** The statement of `lane`, or of no lane; a lane the port does not know is a programmer error. */
function laneStatement(lane: Lane | undefined, write: string, read: string, all: string): string {
  switch (lane) {
    case 'write':
      return write;
    case 'read':
      return read;
    case undefined:
      return all;
    default: {
      const unknown: never = lane;
      throw new Error(`unknown lane ${String(unknown)}: use one of ${LANES.join(', ')}`);
    }
  }
}

/**
 * Runs `fn` again, once, if it failed because its connection died (the pool has dropped that
 * connection, so the retry gets a fresh one). Only for operations that are safe to repeat.
 */
async function withConnectionRetry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isConnectionError(error)) throw error;
    return fn();
  }
}
