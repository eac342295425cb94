import { LANE_STATES, type Lane } from '@kyc-handoff/core';
import { returnTokensSql, takeTokensSql } from './budget.js';
import { quoteIdent } from './identifiers.js';

export const ROW_COLUMNS =
  'user_id, state, snapshot, machine_version, version, wake_at, attempts, last_error, outcome, created_at, updated_at';

/**
 * The state of onboardings not started yet. The write lane takes them after the started ones, in
 * submit order; `satisfies` keeps it a state of that lane.
 */
const NEW_STATE = 'policyPending' satisfies (typeof LANE_STATES.write)[number];

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** `state = 'a'` for one state, `state IN ('a', 'b')` for more: constants the planner can match. */
function stateIn(states: readonly string[]): string {
  return states.length === 1
    ? `state = ${literal(states[0]!)}`
    : `state IN (${states.map(literal).join(', ')})`;
}

/**
 * One queue of claim candidates: the rows of a partial index (`index`, created by migration 4, or
 * 2 for `started`), read in the order of its columns, `key`. `states` is the state term of that
 * index's predicate, so the planner can prove the index holds every row the query wants.
 */
interface Queue {
  index: string;
  states: string;
  key: readonly string[];
}

export const CLAIM_QUEUES = {
  /** Without a lane: every onboarding already started (any state but policyPending). */
  started: {
    index: 'onboardings_started_due',
    states: `state <> ${literal(NEW_STATE)}`,
    key: ['wake_at', 'user_id'],
  },
  /** The write lane's started onboardings (userCreated). */
  writeStarted: {
    index: 'onboardings_write_started_due',
    states: stateIn(LANE_STATES.write.filter((s) => s !== NEW_STATE)),
    key: ['wake_at', 'user_id'],
  },
  /** New onboardings in submit order: `seq` is an identity, drawn in insert order. */
  new: { index: 'onboardings_new_due', states: stateIn([NEW_STATE]), key: ['wake_at', 'seq'] },
  /** The read lane: onboardings under review, polled earliest first. */
  read: { index: 'onboardings_read_due', states: stateIn(LANE_STATES.read), key: ['wake_at', 'user_id'] },
} as const satisfies Record<string, Queue>;

export type ClaimQueue = keyof typeof CLAIM_QUEUES;

/** The queues a claim reads, in order: the first fills the limit, the second what is left of it. */
export const LANE_QUEUES = {
  write: ['writeStarted', 'new'],
  read: ['read'],
  all: ['started', 'new'],
} as const satisfies Record<Lane | 'all', readonly [ClaimQueue] | readonly [ClaimQueue, 'new']>;

/**
 * The claim candidates of `queue`: due, not under a live lease (a lease is live while now <= expiry,
 * so an expired one is reclaimed by the same query), in claim order, skipping rows another claimer
 * has locked this instant. Exported so a test can EXPLAIN it. $1 now, $2 limit.
 */
export function claimQueueSql(schema: string, queue: ClaimQueue): string {
  const { states, key } = CLAIM_QUEUES[queue];
  return `
    SELECT user_id FROM ${quoteIdent(schema)}.onboardings
    WHERE wake_at IS NOT NULL AND ${states} AND wake_at <= $1::bigint
      AND (lease_expires_at IS NULL OR lease_expires_at < $1::bigint)
    ORDER BY ${key.join(', ')}
    LIMIT $2
    FOR UPDATE SKIP LOCKED`;
}

/**
 * One autocommitted statement: lock the candidates, take their leases, bump their versions (the
 * version a claim returns is the worker's fencing token). With two queues (started ones, then new
 * ones), the new ones fill the rest of the limit: `fresh` is a CTE scan read lazily, so only the rows
 * the outer LIMIT takes are fetched and locked. Rows come back in claim order: new ones last, in
 * submit order (seq), the others by user id. $1 now, $2 limit, $3 owner, $4 leaseMs.
 */
function claimSql(schema: string, queues: (typeof LANE_QUEUES)[keyof typeof LANE_QUEUES]): string {
  const [first, second] = queues as readonly [ClaimQueue, ClaimQueue?];
  const picked =
    second === undefined
      ? `picked AS (${claimQueueSql(schema, first)})`
      : `started AS (${claimQueueSql(schema, first)}),
      fresh AS (${claimQueueSql(schema, second)}),
      picked AS (
        SELECT user_id FROM started
        UNION ALL
        (SELECT user_id FROM fresh LIMIT greatest(0, $2 - (SELECT count(*) FROM started)))
      )`;
  const isNew = `state = ${literal(NEW_STATE)}`;
  return `
      WITH ${picked},
      claimed AS (
        UPDATE ${quoteIdent(schema)}.onboardings
        SET lease_owner = $3, lease_expires_at = $1::bigint + $4::bigint, version = version + 1
        WHERE user_id IN (SELECT user_id FROM picked)
        RETURNING ${ROW_COLUMNS}, seq
      )
      SELECT ${ROW_COLUMNS} FROM claimed
      ORDER BY ${isNew}, wake_at, CASE WHEN ${isNew} THEN seq END, user_id`;
}

/**
 * The earliest moment a claim of `queue` could return a row (NULL when none): a free row is
 * claimable at its wake_at (GREATEST skips its NULL expiry), a leased one one ms after its lease
 * expires, if that is later. Only the rows up to the first free one count (none after it can be
 * claimable sooner), so the walk takes them one index probe at a time in claim order and stops
 * there: as many probes as leased rows precede it, however many rows the queue holds. A range scan
 * up to the first free row would read the same rows, but the planner cannot know that range is
 * short, and on 10^6 rows it chose a parallel scan of the whole table.
 */
function nextWakeOf(schema: string, queue: ClaimQueue): string {
  const { states, key } = CLAIM_QUEUES[queue];
  const step = (after: string) => `
          SELECT ${key.join(', ')}, lease_expires_at FROM ${quoteIdent(schema)}.onboardings
          WHERE wake_at IS NOT NULL AND ${states}${after}
          ORDER BY ${key.join(', ')} LIMIT 1`;
  return `(WITH RECURSIVE walk AS (
        (${step('')})
        UNION ALL
        SELECT next.* FROM walk w CROSS JOIN LATERAL (${step(
          ` AND (${key.join(', ')}) > (${key.map((k) => `w.${k}`).join(', ')})`,
        )}) next
        WHERE w.lease_expires_at IS NOT NULL
      )
      SELECT MIN(GREATEST(wake_at, lease_expires_at + 1)) FROM walk)`;
}

/** nextWakeAt of `lane` (`all`: without a lane). Exported so a test can EXPLAIN it. */
export function nextWakeAtSql(schema: string, lane: keyof typeof LANE_QUEUES): string {
  // LEAST ignores NULLs: a queue with nothing to do does not hide the others.
  return `SELECT LEAST(${LANE_QUEUES[lane].map((q) => nextWakeOf(schema, q)).join(',\n    ')}) AS next`;
}

/** Every statement of the store, with the schema spliced in once at open. */
export function statements(schema: string, eraseWhenTerminal: boolean) {
  const s = quoteIdent(schema);
  const onboardings = `${s}.onboardings`;
  const records = `${s}.records`;
  const journal = `${s}.journal`;
  const outbox = `${s}.outbox`;

  return {
    claimWrite: claimSql(schema, LANE_QUEUES.write),
    claimRead: claimSql(schema, LANE_QUEUES.read),
    /** Without a lane: every due onboarding, started ones first. */
    claimAll: claimSql(schema, LANE_QUEUES.all),

    renew: `
      UPDATE ${onboardings} SET lease_expires_at = $3
      WHERE user_id = ANY($1::text[]) AND lease_owner = $2`,

    /**
     * A group commit of at most one transition per user: every row whose version still matches is
     * updated, the journal entries and outbox events ($19-$21) of exactly those rows are appended in
     * order (each user's events numbered after its last) and counted by transition in shard $22, the records of rows that became terminal
     * (when configured) or that ask for it ($18) are erased, and one NOTIFY goes out if any row has a
     * wake-up or gave up its lease (an idle worker waiting for that lease to expire can then see the
     * work is finished). The final CROSS JOIN makes the NOTIFY CTE run (a plain SELECT CTE runs only if read).
     */
    commit: `
      WITH t AS (
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::bigint[], $6::int[],
                             $7::text[], $8::text[], $9::bool[], $10::bigint[], $18::bool[])
          AS t(user_id, expected_version, state, snapshot, wake_at, attempts, last_error, outcome, release, now,
               erase)
      ),
      updated AS (
        UPDATE ${onboardings} o SET
          state = t.state, snapshot = t.snapshot, version = o.version + 1, wake_at = t.wake_at,
          attempts = t.attempts, last_error = t.last_error, outcome = t.outcome, updated_at = t.now,
          lease_owner = CASE WHEN t.release THEN NULL ELSE o.lease_owner END,
          lease_expires_at = CASE WHEN t.release THEN NULL ELSE o.lease_expires_at END,
          record_digest = CASE WHEN t.erase OR (${eraseWhenTerminal ? 'TRUE' : 'FALSE'} AND t.outcome IS NOT NULL)
                               THEN NULL ELSE o.record_digest END
        FROM t
        WHERE o.user_id = t.user_id AND o.version = t.expected_version
        RETURNING o.user_id, o.version, o.wake_at, o.outcome, o.lease_owner, t.erase
      ),
      appended AS (
        INSERT INTO ${journal} (user_id, at, from_state, event, to_state, detail)
        SELECT j.user_id, j.at, j.from_state, j.event, j.to_state, j.detail
        FROM unnest($11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[])
          WITH ORDINALITY AS j(user_id, at, from_state, event, to_state, detail, ord)
        JOIN updated USING (user_id)
        ORDER BY j.ord
      ),
      counted AS (
        INSERT INTO ${s}.transition_counts AS c (shard, from_state, event, to_state, n)
        SELECT $22::smallint, j.from_state, j.event, j.to_state, count(*)
        FROM unnest($11::text[], $13::text[], $14::text[], $15::text[]) AS j(user_id, from_state, event, to_state)
        JOIN updated USING (user_id)
        GROUP BY j.from_state, j.event, j.to_state
        -- One order for every writer sharing a shard, so two commits never lock counters crosswise.
        ORDER BY j.from_state, j.event, j.to_state
        ON CONFLICT (shard, from_state, event, to_state) DO UPDATE SET n = c.n + excluded.n
      ),
      erased AS (
        DELETE FROM ${records} r USING updated u
        WHERE r.user_id = u.user_id
          AND (u.erase OR (${eraseWhenTerminal ? 'TRUE' : 'FALSE'} AND u.outcome IS NOT NULL))
      ),
      events AS (
        INSERT INTO ${outbox} (user_id, seq, type, payload, created_at, status, attempts, next_attempt_at)
        SELECT e.user_id,
               coalesce((SELECT max(x.seq) FROM ${outbox} x WHERE x.user_id = e.user_id), 0)
                 + row_number() OVER (PARTITION BY e.user_id ORDER BY e.ord),
               e.type, e.payload, t.now, 'pending', 0, t.now
        FROM unnest($19::text[], $20::text[], $21::jsonb[]) WITH ORDINALITY AS e(user_id, type, payload, ord)
        JOIN updated USING (user_id)
        JOIN t USING (user_id)
        ORDER BY e.ord
      ),
      wake AS (SELECT pg_notify($17, '') FROM updated WHERE wake_at IS NOT NULL OR lease_owner IS NULL LIMIT 1)
      SELECT u.user_id, u.version FROM updated u CROSS JOIN (SELECT count(*) FROM wake) w`,

    /**
     * Inserts the onboardings not there yet with their encrypted records and their first outbox
     * event (if any), and says which were created. In input order, so that `seq` numbers them in
     * submit order. $1..$7 and $11..$12 per item, $8 now, $9 key id, $10 channel.
     */
    insertNew: `
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::int[], $5::bigint[], $6::text[], $7::text[],
                             $11::text[], $12::jsonb[])
          WITH ORDINALITY AS t(user_id, state, snapshot, machine_version, wake_at, digest, ciphertext,
                               event_type, event_payload, ord)
      ),
      ins AS (
        INSERT INTO ${onboardings} (user_id, state, snapshot, machine_version, version, wake_at, attempts,
                                    record_digest, created_at, updated_at)
        SELECT user_id, state, snapshot, machine_version, 1, wake_at, 0, digest, $8::bigint, $8::bigint FROM input
        ORDER BY ord
        ON CONFLICT (user_id) DO NOTHING
        RETURNING user_id, wake_at
      ),
      rec AS (
        INSERT INTO ${records} (user_id, key_id, ciphertext, updated_at)
        SELECT i.user_id, $9, i.ciphertext, $8::bigint FROM input i JOIN ins USING (user_id)
      ),
      ev AS (
        INSERT INTO ${outbox} (user_id, seq, type, payload, created_at, status, attempts, next_attempt_at)
        SELECT i.user_id, 1, i.event_type, i.event_payload, $8::bigint, 'pending', 0, $8::bigint
        FROM input i JOIN ins USING (user_id)
        WHERE i.event_payload IS NOT NULL
        ORDER BY i.ord
      ),
      wake AS (SELECT pg_notify($10, '') FROM ins WHERE wake_at IS NOT NULL LIMIT 1)
      SELECT ins.user_id FROM ins CROSS JOIN (SELECT count(*) FROM wake) w`,

    digests: `SELECT user_id, record_digest FROM ${onboardings} WHERE user_id = ANY($1::text[])`,
    digestsForUpdate: `SELECT user_id, record_digest FROM ${onboardings} WHERE user_id = ANY($1::text[]) FOR UPDATE`,

    /**
     * Replaces records and their digests; the onboarding rows are otherwise untouched. $4 key id,
     * $5 now, $6 the channel to notify, or NULL for none (re-encryption wakes nobody).
     */
    replaceRecords: `
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(user_id, digest, ciphertext)
      ),
      o AS (
        UPDATE ${onboardings} o SET record_digest = i.digest FROM input i
        WHERE o.user_id = i.user_id RETURNING o.user_id
      ),
      r AS (
        INSERT INTO ${records} (user_id, key_id, ciphertext, updated_at)
        SELECT i.user_id, $4, i.ciphertext, $5::bigint FROM input i JOIN o USING (user_id)
        ON CONFLICT (user_id) DO UPDATE SET
          key_id = excluded.key_id, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
      ),
      wake AS (SELECT pg_notify($6, '') FROM o WHERE $6::text IS NOT NULL LIMIT 1)
      SELECT o.user_id FROM o CROSS JOIN (SELECT count(*) FROM wake) w`,

    erase: `
      WITH r AS (DELETE FROM ${records} WHERE user_id = $1)
      UPDATE ${onboardings} SET record_digest = NULL WHERE user_id = $1`,

    get: `SELECT ${ROW_COLUMNS} FROM ${onboardings} WHERE user_id = $1`,
    loadRecords: `SELECT user_id, ciphertext FROM ${records} WHERE user_id = ANY($1::text[])`,
    journal: `
      SELECT user_id, at, from_state, event, to_state, detail FROM (
        SELECT * FROM ${journal} WHERE user_id = $1 ORDER BY id DESC LIMIT $2
      ) j ORDER BY id`,
    keyUsage: `SELECT key_id, count(*)::int AS n FROM ${records} GROUP BY key_id`,
    /** Records not under the current key; SKIP LOCKED lets two re-encryptions run side by side. */
    staleRecords: `
      SELECT user_id, ciphertext FROM ${records} WHERE key_id <> $1
      ORDER BY user_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    counts: `SELECT state, count(*)::int AS n FROM ${onboardings} GROUP BY state`,
    /**
     * The rows with a last error, by the kind the machine recorded in the snapshot (never parsed out
     * of the error's text); `unknown` when the snapshot records none.
     */
    errorKinds: `
      SELECT coalesce(snapshot #>> '{context,lastError,kind}', 'unknown') AS kind, count(*)::int AS n
      FROM ${onboardings} WHERE last_error IS NOT NULL GROUP BY 1`,
    /**
     * One pass over the rows waiting for data, each row's items made distinct on their own (a row
     * counts once per item, should its snapshot repeat one): a UNION of two scans read the heap
     * twice and sorted every (user, item) pair, 3.5 s on 10^6 rows.
     */
    requestedItems: `
      SELECT item, count(*)::int AS n
      FROM ${onboardings} o
      CROSS JOIN LATERAL (
        SELECT DISTINCT i FROM (
          SELECT 'data:' || d FROM jsonb_array_elements_text(${arrayAt('missingData')}) AS d
          UNION ALL
          SELECT 'document:' || d FROM jsonb_array_elements_text(${arrayAt('missingDocuments')}) AS d
        ) AS each_item(i)
        WHERE i IS NOT NULL
      ) AS items(item)
      WHERE o.state = 'requiresData'
      GROUP BY item`,
    transitions: `
      SELECT from_state AS "from", event, to_state AS "to", sum(n)::bigint AS count
      FROM ${s}.transition_counts GROUP BY from_state, event, to_state`,
    ...outboxStatements(outbox),
    nextWakeAtWrite: nextWakeAtSql(schema, 'write'),
    nextWakeAtRead: nextWakeAtSql(schema, 'read'),
    nextWakeAtAll: nextWakeAtSql(schema, 'all'),
    takeTokens: takeTokensSql(`${s}.budget_buckets`),
    returnTokens: returnTokensSql(`${s}.budget_buckets`),
  };
}

/** The array `context.requested.<key>` of a row's snapshot, or an empty one when it has none. */
function arrayAt(key: string): string {
  const path = `o.snapshot #> '{context,requested,${key}}'`;
  return `CASE WHEN jsonb_typeof(${path}) = 'array' THEN ${path} ELSE '[]'::jsonb END`;
}

/**
 * No earlier event of the same user is still pending: a user's events go out one at a time, in
 * order. A leased earlier event is pending too, so its successor waits until it is settled; a failed
 * one is not, so it holds back nothing. A probe of outbox_user_seq, among the user's few events.
 */
function firstPendingOfUser(outbox: string): string {
  return `NOT EXISTS (
        SELECT 1 FROM ${outbox} earlier
        WHERE earlier.user_id = o.user_id AND earlier.seq < o.seq AND earlier.status = 'pending')`;
}

function outboxStatements(outbox: string) {
  return {
    /**
     * Leases due events not under a live lease (live while now <= expiry, as for onboardings), each
     * the first pending one of its user; oldest first; rows another claimer has locked this instant
     * are skipped. $1 now, $2 limit, $3 owner, $4 leaseMs.
     */
    claimOutbox: `
      WITH picked AS (
        SELECT o.id FROM ${outbox} o
        WHERE o.status = 'pending' AND o.next_attempt_at <= $1::bigint
          AND (o.lease_owner IS NULL OR o.lease_expires_at < $1::bigint)
          AND ${firstPendingOfUser(outbox)}
        ORDER BY o.id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${outbox} o SET lease_owner = $3, lease_expires_at = $1::bigint + $4::bigint
      FROM picked WHERE o.id = picked.id
      RETURNING o.id, o.user_id, o.seq, o.payload, o.created_at, o.attempts`,
    /**
     * Settlements of distinct events ($1 ids, $2 delivered, $3 retryAt or NULL to give up, $4 error,
     * $5 now). A delivery is final: a second report changes nothing, the first delivered_at stays.
     * A failure counts only for a pending event: reported late, after a delivery or a give-up, it
     * changes nothing.
     */
    settleOutbox: `
      WITH s AS (
        SELECT * FROM unnest($1::bigint[], $2::bool[], $3::bigint[], $4::text[], $5::bigint[])
          AS s(id, delivered, retry_at, error, now)
      )
      UPDATE ${outbox} o SET
        status = CASE WHEN s.delivered THEN 'delivered' WHEN s.retry_at IS NULL THEN 'failed' ELSE 'pending' END,
        delivered_at = CASE WHEN s.delivered THEN s.now ELSE o.delivered_at END,
        attempts = CASE WHEN s.delivered THEN o.attempts ELSE o.attempts + 1 END,
        next_attempt_at = CASE WHEN s.delivered OR s.retry_at IS NULL THEN o.next_attempt_at ELSE s.retry_at END,
        last_error = CASE WHEN s.delivered THEN o.last_error ELSE s.error END,
        lease_owner = NULL, lease_expires_at = NULL
      FROM s
      WHERE o.id = s.id AND CASE WHEN s.delivered THEN o.status <> 'delivered' ELSE o.status = 'pending' END`,
    outboxCounts: `SELECT status, count(*)::int AS n FROM ${outbox} GROUP BY status`,
    oldestPending: `SELECT min(created_at) AS at FROM ${outbox} WHERE status = 'pending'`,
    /** Back to how it was written, due at $2. Replays are rare and operator-driven: no index of its own. */
    replayOutbox: `
      UPDATE ${outbox} SET status = 'pending', attempts = 0, next_attempt_at = $2::bigint, lease_owner = NULL,
                           lease_expires_at = NULL, last_error = NULL, delivered_at = NULL
      WHERE created_at >= $1::bigint`,
    /**
     * Only the first pending event of each user can be claimed, so only those count: a later one due
     * earlier would wake a deliverer that then finds nothing to claim, again and again.
     */
    nextOutboxAt: `
      SELECT min(CASE WHEN o.lease_owner IS NULL THEN o.next_attempt_at
                      ELSE greatest(o.next_attempt_at, o.lease_expires_at + 1) END) AS at
      FROM ${outbox} o
      WHERE o.status = 'pending' AND ${firstPendingOfUser(outbox)}`,
  };
}

/** Which filters a page of `list` has; `states` is how many distinct states it asks for. */
export interface ListShape {
  states: number;
  after: boolean;
  outcome: boolean;
  changedSince: boolean;
}

/**
 * One page of `list`: $1 limit, then the filters present, in the order after, outcome,
 * changedSince, states. Several states are one walk of onboardings_state_user per state, each in
 * user id order, merged (Merge Append) and cut at the limit, so a page reads about a page of rows
 * and sorts nothing, wherever it starts. Exported so a test can EXPLAIN it.
 */
export function listSql(schema: string, shape: ListShape): string {
  let n = 1;
  const filters: string[] = [];
  if (shape.after) filters.push(`user_id > $${++n}`);
  if (shape.outcome) filters.push(`outcome = $${++n}`);
  if (shape.changedSince) filters.push(`updated_at >= $${++n}::bigint`);
  const states = Array.from({ length: shape.states }, () => `$${++n}`);
  const select = (where: readonly string[]) =>
    `SELECT ${ROW_COLUMNS} FROM ${quoteIdent(schema)}.onboardings${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`}`;
  if (states.length <= 1)
    return `${select([...states.map((st) => `state = ${st}`), ...filters])} ORDER BY user_id LIMIT $1`;
  const arms = states.map(
    (state) => `(${select([`state = ${state}`, ...filters])} ORDER BY user_id LIMIT $1)`,
  );
  return `${arms.join('\n      UNION ALL ')}\n      ORDER BY user_id LIMIT $1`;
}
