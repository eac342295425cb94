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

/** Due and not under a live lease (a lease is live while now <= expiry). */
const CLAIMABLE = 'wake_at <= @now AND (lease_owner IS NULL OR lease_expires_at < @now)';

function claimSql(queue: Queue): string {
  return `
  SELECT user_id FROM onboardings INDEXED BY ${queue.index}
  WHERE wake_at IS NOT NULL AND ${queue.states} AND ${CLAIMABLE}
  ORDER BY ${queue.order}
  LIMIT @limit`;
}

/** The claim candidates of each queue, in claim order. Exported so a test can check the plans. */
export const CLAIM_QUEUE_SQL = Object.fromEntries(
  Object.entries(CLAIM_QUEUES).map(([name, queue]) => [name, claimSql(queue)]),
) as Record<ClaimQueue, string>;

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
