import { LANE_STATES, type Lane } from '@kyc-handoff/core';

/**
 * The state of onboardings not started yet. The write lane takes them after the started ones, in
 * submit order; `satisfies` keeps it a state of that lane.
 */
const NEW_STATE = 'policyPending' satisfies (typeof LANE_STATES.write)[number];

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** `state = 'a'` for one state, `state IN ('a', 'b')` for more. */
function stateIn(states: readonly string[]): string {
  return states.length === 1
    ? `state = ${literal(states[0]!)}`
    : `state IN (${states.map(literal).join(', ')})`;
}

/**
 * One queue of claim candidates: the rows of a partial index, read in its order. `states` must
 * match the state term of the index's WHERE (migration 4, or 2 for `started`) word for word: that
 * is how SQLite knows it may use a partial index. INDEXED BY, because without statistics SQLite
 * prefers the equality on onboardings_state and then sorts every row of the state (a million new
 * ones after an import) to return a few; it also makes preparing fail loudly should the query and
 * the index ever part (a state added to a lane needs a new index).
 */
interface Queue {
  index: string;
  states: string;
  order: string;
}

export const CLAIM_QUEUES = {
  /** Without a lane: every onboarding already started (any state but policyPending). */
  started: {
    index: 'onboardings_started_due',
    states: `state <> ${literal(NEW_STATE)}`,
    order: 'wake_at, user_id',
  },
  /** The write lane's started onboardings (userCreated). */
  writeStarted: {
    index: 'onboardings_write_started_due',
    states: stateIn(LANE_STATES.write.filter((s) => s !== NEW_STATE)),
    order: 'wake_at, user_id',
  },
  /**
   * New onboardings in submit order: the rowid grows with every insert, and the index on (wake_at)
   * holds (wake_at, rowid), so it is read in this order without a sort. VACUUM keeps the rowid
   * order of this table: it copies the rows in rowid order and keeps their rowids (SQLite may
   * renumber those of a table without INTEGER PRIMARY KEY, and then renumbers in that same order).
   */
  new: { index: 'onboardings_new_due', states: stateIn([NEW_STATE]), order: 'wake_at, rowid' },
  /** The read lane: onboardings under review, polled earliest first. */
  read: { index: 'onboardings_read_due', states: stateIn(LANE_STATES.read), order: 'wake_at, user_id' },
} as const satisfies Record<string, Queue>;

export type ClaimQueue = keyof typeof CLAIM_QUEUES;

/** The queues a claim reads, in order, each filling what the ones before left of the limit. */
export const LANE_QUEUES = {
  write: ['writeStarted', 'new'],
  read: ['read'],
  all: ['started', 'new'],
} as const satisfies Record<Lane | 'all', readonly ClaimQueue[]>;

export const ROW_COLUMNS =
  'user_id, state, snapshot, machine_version, version, wake_at, attempts, last_error, outcome, created_at, updated_at';

/** Due and not under a live lease (a lease is live while now <= expiry). */
const CLAIMABLE = 'wake_at <= @now AND (lease_owner IS NULL OR lease_expires_at < @now)';

/**
 * A claim reads whole rows with their rowid: the lease is then taken by rowid, and the row handed
 * back without reading it again (a select of ids, then an update and a select by user id per row,
 * cost two lookups of the user id index and two more reads of each claimed row).
 */
function claimSql(queue: Queue): string {
  return `
  SELECT rowid AS row_id, ${ROW_COLUMNS} FROM onboardings INDEXED BY ${queue.index}
  WHERE wake_at IS NOT NULL AND ${queue.states} AND ${CLAIMABLE}
  ORDER BY ${queue.order}
  LIMIT @limit`;
}

/** The claim candidates of each queue, in claim order. Exported so a test can check the plans. */
export const CLAIM_QUEUE_SQL = Object.fromEntries(
  Object.entries(CLAIM_QUEUES).map(([name, queue]) => [name, claimSql(queue)]),
) as Record<ClaimQueue, string>;

/**
 * The leases of the rows one claim read, taken by their rowids (a JSON array) in one statement: a
 * statement per row cost a tenth of a claim's CPU. No RETURNING: in SQLite, RETURNING more than
 * doubles the cost of an update (measured: 21 against 9 µs for one row), and the claim transaction
 * read the rows, so the rows after this update are known without reading them again.
 */
export const TAKE_LEASES_SQL = `
  UPDATE onboardings SET lease_owner = ?, lease_expires_at = ?, version = version + 1
  WHERE rowid IN (SELECT value FROM json_each(?))`;

/** Above every wake_at: the bound when a queue has no free row. */
const NO_BOUND = '9223372036854775807';

/**
 * The earliest moment a claim of `queue` could return a row, as rows `at` (NULLs ignored). A free
 * row is claimable at its wake_at, a leased one one ms after its lease expires, if that is later.
 * Read in index order, it stops at the first free row: no row after it can be claimable sooner,
 * so it reads the leased rows before it and no more, however many rows the queue holds.
 */
function nextWakeOf(queue: Queue): string {
  const firstFree = `SELECT wake_at FROM onboardings INDEXED BY ${queue.index}
      WHERE wake_at IS NOT NULL AND ${queue.states} AND lease_owner IS NULL
      ORDER BY wake_at LIMIT 1`;
  return `
    SELECT (${firstFree}) AS at
    UNION ALL
    SELECT MIN(MAX(wake_at, COALESCE(lease_expires_at, 0) + 1)) FROM onboardings INDEXED BY ${queue.index}
    WHERE wake_at IS NOT NULL AND ${queue.states} AND lease_owner IS NOT NULL
      AND wake_at < COALESCE((${firstFree}), ${NO_BOUND})`;
}

/** nextWakeAt of each lane (`all`: without a lane). Exported so a test can check the plans. */
export const NEXT_WAKE_AT_SQL = Object.fromEntries(
  Object.entries(LANE_QUEUES).map(([lane, queues]) => [
    lane,
    `SELECT MIN(at) FROM (${queues.map((q) => nextWakeOf(CLAIM_QUEUES[q])).join('\n    UNION ALL')})`,
  ]),
) as Record<keyof typeof LANE_QUEUES, string>;

/**
 * No earlier event of the same user is still pending: a user's events go out one at a time, in
 * order. A leased earlier event is pending too, so its successor waits until it is settled; a failed
 * one is not, so it holds back nothing. A probe of outbox_user_seq, among the user's few events.
 */
const FIRST_PENDING_OF_USER = `NOT EXISTS (
    SELECT 1 FROM outbox AS earlier
    WHERE earlier.user_id = outbox.user_id AND earlier.seq < outbox.seq AND earlier.status = 'pending')`;

/** The outbox's statements. Exported so a test can check their plans. */
export const OUTBOX_SQL = {
  /** The user's first event: a submit creates the onboarding, so it has none before. */
  insertFirst: `
    INSERT INTO outbox (user_id, seq, type, payload, created_at, status, attempts, next_attempt_at)
    VALUES (@userId, 1, @type, @payload, @now, 'pending', 0, @now)`,
  /** The user's next event, numbered after its last in the same statement (one probe of outbox_user_seq). */
  insertNext: `
    INSERT INTO outbox (user_id, seq, type, payload, created_at, status, attempts, next_attempt_at)
    SELECT @userId, COALESCE(MAX(seq), 0) + 1, @type, @payload, @now, 'pending', 0, @now
    FROM outbox WHERE user_id = @userId`,
  /**
   * Due, not under a live lease (live while now <= expiry, as for onboardings), first of its user;
   * oldest first. INDEXED BY keeps the claim on the pending rows whatever the planner guesses about
   * a table of a million delivered ones.
   */
  claim: `
    SELECT id, user_id, seq, type, payload, created_at, attempts FROM outbox INDEXED BY outbox_pending
    WHERE status = 'pending' AND next_attempt_at <= @now
      AND (lease_owner IS NULL OR lease_expires_at < @now)
      AND ${FIRST_PENDING_OF_USER}
    ORDER BY id
    LIMIT @limit`,
  lease: 'UPDATE outbox SET lease_owner = ?, lease_expires_at = ? WHERE id = ?',
  /** A delivery is final: a second report changes nothing, the first delivered_at stays. */
  delivered: `
    UPDATE outbox SET status = 'delivered', delivered_at = @now, lease_owner = NULL, lease_expires_at = NULL
    WHERE id = @id AND status <> 'delivered'`,
  /** Only a pending event: a failure reported late, after a delivery or a give-up, changes nothing. */
  retry: `
    UPDATE outbox SET attempts = attempts + 1, next_attempt_at = @retryAt, last_error = @error,
                      lease_owner = NULL, lease_expires_at = NULL
    WHERE id = @id AND status = 'pending'`,
  giveUp: `
    UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = @error,
                      lease_owner = NULL, lease_expires_at = NULL
    WHERE id = @id AND status = 'pending'`,
  countsByStatus: 'SELECT status, COUNT(*) AS n FROM outbox INDEXED BY outbox_status GROUP BY status',
  oldestPending: "SELECT MIN(created_at) FROM outbox INDEXED BY outbox_pending WHERE status = 'pending'",
  /**
   * Back to how it was written, due at @now. Replays are rare and operator-driven: created_at has no
   * index of its own, which every write would pay for.
   */
  replay: `
    UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = @now, lease_owner = NULL,
                      lease_expires_at = NULL, last_error = NULL, delivered_at = NULL
    WHERE created_at >= @since`,
  /**
   * Only the first pending event of each user can be claimed, so only those count: a later one due
   * earlier would wake a deliverer that then finds nothing to claim, again and again.
   */
  next: `
    SELECT MIN(CASE WHEN lease_owner IS NULL THEN next_attempt_at
                    ELSE MAX(next_attempt_at, lease_expires_at + 1) END)
    FROM outbox INDEXED BY outbox_pending
    WHERE status = 'pending' AND ${FIRST_PENDING_OF_USER}`,
} as const;

/** The array at `path` of a snapshot, or an empty one when the snapshot is damaged or has none. */
function arrayAt(path: string): string {
  // json_each and json_type refuse malformed JSON with an error, which would fail the count of every
  // row over one damaged snapshot; CASE evaluates its branches only as far as needed.
  return `CASE WHEN NOT json_valid(o.snapshot) THEN '[]'
              WHEN json_type(o.snapshot, '${path}') = 'array' THEN json_extract(o.snapshot, '${path}')
              ELSE '[]' END`;
}

/** The console's counts, each read from an index and the rows it points to. */
export const COUNTS_SQL = {
  /**
   * The rows with a last error, by the kind the machine recorded in the snapshot (never parsed out of
   * the error's text); `unknown` when the snapshot records none or does not parse.
   */
  errorKinds: `
    SELECT COALESCE(CASE WHEN json_valid(snapshot) THEN json_extract(snapshot, '$.context.lastError.kind') END,
                    'unknown') AS kind,
           COUNT(*) AS n
    FROM onboardings INDEXED BY onboardings_errors
    WHERE last_error IS NOT NULL
    GROUP BY kind`,
  /** UNION, not UNION ALL: a row counts once per item, should its snapshot repeat one. */
  requestedItems: `
    SELECT item, COUNT(*) AS n FROM (
      SELECT o.user_id, 'data:' || j.value AS item
      FROM onboardings AS o INDEXED BY onboardings_state_user, json_each(${arrayAt('$.context.requested.missingData')}) AS j
      WHERE o.state = 'requiresData'
      UNION
      SELECT o.user_id, 'document:' || j.value AS item
      FROM onboardings AS o INDEXED BY onboardings_state_user, json_each(${arrayAt('$.context.requested.missingDocuments')}) AS j
      WHERE o.state = 'requiresData'
    )
    GROUP BY item`,
  transitions: 'SELECT from_state AS "from", event, to_state AS "to", n AS count FROM transition_counts',
  countTransition: `
    INSERT INTO transition_counts (from_state, event, to_state, n) VALUES (?, ?, ?, ?)
    ON CONFLICT (from_state, event, to_state) DO UPDATE SET n = n + excluded.n`,
} as const;

/**
 * With fewer rows than this changed since `changedSince`, a page reads them through
 * onboardings_updated and sorts them by user id (at most this many per page); with more, it walks
 * user ids in order and skips the unchanged rows (at most 1/fraction rows per row returned). SQLite
 * keeps no statistics unless ANALYZE is run, so the store counts for itself, up to this bound.
 */
export const FEW_CHANGED_ROWS = 10_000;

export const FEW_CHANGED_SQL = `
  SELECT COUNT(*) FROM (
    SELECT 1 FROM onboardings INDEXED BY onboardings_updated WHERE updated_at >= ? LIMIT ${FEW_CHANGED_ROWS}
  )`;

/**
 * The index a page of `list` walks: `changed` onboardings_updated (then a sort of the few rows),
 * `states` onboardings_state_user (one walk per state, merged), `outcome` onboardings_outcome, `all`
 * the primary key; each of the last three already in user id order, so a page reads about as many
 * rows as it returns, wherever it starts.
 */
export type ListPath = 'changed' | 'states' | 'outcome' | 'all';

/** Which filters a page has; `states` is how many distinct states it asks for. */
export interface ListShape {
  path: ListPath;
  states: number;
  after: boolean;
  outcome: boolean;
  changedSince: boolean;
}

const LIST_INDEX: Record<ListPath, string> = {
  changed: 'onboardings_updated',
  states: 'onboardings_state_user',
  outcome: 'onboardings_outcome',
  // SQLite's name for the index of the table's first PRIMARY KEY or UNIQUE constraint.
  all: 'sqlite_autoindex_onboardings_1',
};

/**
 * One page of `list`, its filters bound as @after, @outcome, @changedSince, @s0, @s1, … and @limit.
 * Several states are a compound SELECT of one walk per state, each in user id order: SQLite merges
 * them (MERGE (UNION ALL)) and stops at the limit, so a page of three states reads about a page of
 * rows, not three, and sorts nothing. Exported so a test can check the plans.
 */
export function listSql(shape: ListShape): string {
  const filters = [
    shape.after ? 'user_id > @after' : undefined,
    shape.outcome ? 'outcome = @outcome' : undefined,
    shape.changedSince ? 'updated_at >= @changedSince' : undefined,
  ].filter((f) => f !== undefined);
  const select = (index: string, where: readonly string[]) =>
    `SELECT ${ROW_COLUMNS} FROM onboardings INDEXED BY ${index}${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`}`;
  const stateParams = Array.from({ length: shape.states }, (_, i) => `@s${i}`);
  if (shape.path === 'states') {
    const arms = stateParams.map((s) => select(LIST_INDEX.states, [`state = ${s}`, ...filters]));
    return `${arms.join('\n  UNION ALL ')}\n  ORDER BY user_id LIMIT @limit`;
  }
  const where = shape.states === 0 ? filters : [`state IN (${stateParams.join(', ')})`, ...filters];
  return `${select(LIST_INDEX[shape.path], where)}\n  ORDER BY user_id LIMIT @limit`;
}
