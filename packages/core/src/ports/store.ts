import type { TopLevelState } from '../machine/snapshot.js';
import type { EligibilityStatus, ProductType } from '../schemas/api.js';
import type { InputRecord } from '../schemas/record.js';
import type { BudgetKind } from './crossmint.js';

/**
 * A machine snapshot as persisted: the state value and the context. Rebuilt with
 * `machine.resolveState(persisted)`. Contains no personal data by construction.
 */
export interface PersistedOnboarding {
  value: unknown;
  context: unknown;
  /**
   * Set by a store, instead of value and context, when the stored bytes could not even be parsed:
   * what is wrong, never the bytes. The engine quarantines such a row rather than failing the claim
   * of every row around it.
   */
  unreadable?: string;
}

/** Why a stored record cannot be used: it does not decrypt, or it no longer passes validation. */
export type StoredRecordProblem = 'record-unreadable' | 'record-invalid';

/**
 * Thrown by `loadRecord` for a record that is stored but cannot be used. It concerns that one
 * onboarding (the engine quarantines it), unlike any other error of a store, which means the store
 * itself is unavailable. Messages name the user and the cause, never the record's content.
 */
export class StoredRecordError extends Error {
  override readonly name = 'StoredRecordError';
  constructor(
    readonly problem: StoredRecordProblem,
    readonly userId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a StoredRecordError, also one thrown by another copy of this package. */
export function isStoredRecordError(error: unknown): error is StoredRecordError {
  return error instanceof Error && error.name === 'StoredRecordError' && 'problem' in error;
}

/** How an onboarding ended, once it has. */
export type Outcome = 'verified' | 'rejected';

/** One row per onboarding, as any store returns it. */
export interface OnboardingRow {
  userId: string;
  /** Top-level machine state (policyPending, …, failed): what status and counts show. */
  state: TopLevelState;
  snapshot: PersistedOnboarding;
  machineVersion: number;
  /** Optimistic-concurrency counter; every commit must name the version it read. */
  version: number;
  /** Epoch ms at which the onboarding has something to do; null when it waits for a person or is done. */
  wakeAt: number | null;
  attempts: number;
  /** Classified, personal-data-free description of the last error. */
  lastError: string | null;
  /** Set once terminal. */
  outcome: Outcome | null;
  createdAt: number;
  updatedAt: number;
}

export interface JournalEntry {
  userId: string;
  at: number;
  from: string;
  event: string;
  to: string;
  /** Short, personal-data-free detail (an error kind, a status). */
  detail?: string;
}

export interface NewOnboarding {
  record: InputRecord;
  state: TopLevelState;
  snapshot: PersistedOnboarding;
  machineVersion: number;
  wakeAt: number | null;
  /** Written to the outbox in the submit's transaction when the onboarding is created (`submitted`). */
  outbox?: OutboxPayload | undefined;
}

/**
 * The transitions a platform acts on. Each is written to the outbox in the same transaction as the
 * transition that produced it, so an event exists exactly when its transition was committed.
 */
export const OUTBOX_EVENT_TYPES = ['submitted', 'verified', 'rejected', 'requiresData', 'failed'] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

/** What an outbox event says; ids, states and reasons only, never personal data. */
export interface OutboxPayload {
  type: OutboxEventType;
  userId: string;
  state: TopLevelState;
  outcome: Outcome | null;
  /** The target products' statuses, as Crossmint last answered them. */
  eligibility: { type: ProductType; status: EligibilityStatus }[] | null;
  /** What Crossmint asked for (requiresData). */
  requested: { missingData: string[]; missingDocuments: string[] } | null;
  /** Why it failed (failed): a reason such as `invalid-data`, and its redacted message. */
  failure: { reason: string; message: string } | null;
  /** When the transition happened (epoch ms). */
  at: number;
}

/** An outbox event as stored: its payload, its id and its place in the user's sequence. */
export interface OutboxEvent extends OutboxPayload {
  /** Unique and stable across redeliveries (the webhook-id): `evt_<n>`. */
  id: string;
  /** 1, 2, … per user, in commit order: deliveries of one user go in this order. */
  seq: number;
  createdAt: number;
}

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/** An event claimed for delivery, with how often it was tried before. */
export interface ClaimedOutboxEvent extends OutboxEvent {
  attempts: number;
}

export type OutboxSettlement =
  | { id: string; delivered: true; now: number }
  /** Not delivered: try again at `retryAt`, or give up (`retryAt` null: the event is `failed`). */
  | { id: string; delivered: false; retryAt: number | null; error: string; now: number };

export interface OutboxStats {
  pending: number;
  failed: number;
  delivered: number;
  /** createdAt of the oldest event not delivered yet (pending), or null. */
  oldestPendingAt: number | null;
}

/** What `list` filters by; every filter is optional. */
export interface ListOptions {
  states?: readonly TopLevelState[] | undefined;
  outcome?: Outcome | undefined;
  /** Only onboardings updated at or after this time (epoch ms). */
  changedSince?: number | undefined;
  /** Keyset pagination: only user ids after this one (the last of the previous page). */
  after?: string | undefined;
  /** Rows per page (the store may cap it). */
  limit: number;
}

export type SubmitStatus =
  /** A new onboarding was created. */
  | 'created'
  /** The same user with the same record was already there: nothing changed. */
  | 'unchanged'
  /** The record differed and the caller asked to update it: the stored record was replaced. */
  | 'updated'
  /** The record differed and the caller did not ask to update it: refused, nothing changed. */
  | 'conflict';

export interface SubmitOutcome {
  userId: string;
  status: SubmitStatus;
}

/**
 * A queue of due onboardings by the rate budget their next call spends. The engine claims from each
 * lane only as many as that budget can pay for now, so a backlog of users under review (reads)
 * never holds back new users (writes), and a claimed onboarding never waits for a token.
 */
export type Lane = BudgetKind;
export const LANES = ['write', 'read'] as const satisfies readonly Lane[];

/**
 * The top-level states of each lane: every call of policyPending and userCreated is a write, and
 * verificationPending only waits and polls (reads). Other states have nothing due. Stores select a
 * lane by these states; core's tests check them against the machine's own effects.
 */
export const LANE_STATES = {
  write: ['policyPending', 'userCreated'],
  read: ['verificationPending'],
} as const satisfies Record<Lane, readonly TopLevelState[]>;

export interface ClaimOptions {
  now: number;
  limit: number;
  /** Identifies the worker taking the lease. */
  owner: string;
  leaseMs: number;
  /**
   * Claim from this lane only. Write lane: onboardings already started (userCreated) first,
   * earliest wakeAt first, then new ones (policyPending) in submit order (earliest wakeAt, then the
   * order they were submitted in). Read lane: earliest wakeAt first, so when more users are under
   * review than the read budget can poll, each is polled in turn. Without a lane, every due
   * onboarding, started ones (any state but policyPending) first.
   */
  lane?: Lane | undefined;
}

export interface CommitTransition {
  userId: string;
  /** The `version` read when the onboarding was claimed. */
  expectedVersion: number;
  state: TopLevelState;
  snapshot: PersistedOnboarding;
  wakeAt: number | null;
  attempts: number;
  lastError: string | null;
  outcome: Outcome | null;
  journal: readonly JournalEntry[];
  /** Whether the worker is done with the onboarding for now (true) or keeps its lease (false). */
  releaseLease: boolean;
  /** Outbox events to write in the same transaction, each given the user's next sequence number. */
  outbox?: readonly OutboxPayload[] | undefined;
  /**
   * Delete the record (and its digest) in the same transaction: the engine does so for a record it
   * quarantined as unusable, so that the platform's corrected record can be submitted again.
   */
  eraseRecord?: boolean | undefined;
  now: number;
}

export interface CommitResult {
  userId: string;
  /** False when the version no longer matched: a newer write won and this result was dropped. */
  committed: boolean;
  newVersion?: number;
}

/** Onboardings by top-level state; a state with none may be absent. */
export type StateCounts = Partial<Record<TopLevelState, number>>;

/** How often one transition (as the journal names it: state paths and the event) was committed. */
export interface TransitionCount {
  from: string;
  event: string;
  to: string;
  count: number;
}

/**
 * Durable storage of onboardings. Every adapter passes the shared contract suite. Records are kept
 * encrypted by the adapter and never copied into rows, snapshots or the journal.
 */
export interface OnboardingStore {
  /** Create onboardings idempotently by user id (one transaction for the batch). */
  submit(
    items: readonly NewOnboarding[],
    options: { update?: boolean | undefined; now: number },
  ): Promise<SubmitOutcome[]>;
  /**
   * Take leases on up to `limit` onboardings that are due and not leased by a live worker, of one
   * lane (see ClaimOptions.lane) or of all. Onboardings already in progress come first, earliest
   * `wakeAt` first; new ones (`policyPending`) only fill what is left of `limit`, earliest first and
   * then in submit order. New onboardings are due from their submit time, so with a large backlog,
   * ordering by `wakeAt` alone would spend the whole Crossmint budget on first writes and never
   * finish anyone. Rows are returned in that order. A lane the port does not know is refused.
   */
  claimDue(options: ClaimOptions): Promise<OnboardingRow[]>;
  /** Extend the leases of onboardings this owner still works on. */
  renewLeases(userIds: readonly string[], owner: string, leaseUntil: number): Promise<void>;
  /** Commit many transitions in one transaction (group commit), each checked against its version. */
  commit(transitions: readonly CommitTransition[]): Promise<CommitResult[]>;
  get(userId: string): Promise<OnboardingRow | undefined>;
  /**
   * The decrypted input record, or undefined once erased or for an unknown user. A record that is
   * stored but cannot be decrypted or validated rejects with a StoredRecordError. The records
   * `submit` and `replaceRecord` receive have passed InputRecord: a store that keeps the
   * RECORD_RULES_VERSION they were stored under may skip validating them again under that version
   * (see openStoredRecord).
   */
  loadRecord(userId: string): Promise<InputRecord | undefined>;
  /** Replace the stored record (supplying data); bumps nothing in the onboarding row. */
  replaceRecord(userId: string, record: InputRecord, now: number): Promise<void>;
  /** Remove the personal data of an onboarding (once it is terminal). */
  erasePersonalData(userId: string): Promise<void>;
  journal(userId: string, options?: { limit?: number | undefined }): Promise<JournalEntry[]>;
  countsByState(): Promise<StateCounts>;
  /** Earliest moment `claimDue` (of `lane`, or of any lane) could return something, or null. */
  nextWakeAt(lane?: Lane): Promise<number | null>;
  /**
   * One page of onboardings in user id order, filtered, for export: rows only, never records.
   * Keyset pagination (`after`), so a million rows are read in constant memory and a page costs
   * the same wherever it starts; an index serves each filter.
   */
  list(options: ListOptions): Promise<OnboardingRow[]>;
  /** Onboardings by the kind of their last error (`transient`, `invalid-data`, …; none without one). */
  countsByErrorKind(): Promise<Record<string, number>>;
  /** Onboardings waiting for data, by what Crossmint asked for (`data:kyc-data`, `document:id`, …). */
  countsByRequestedItem(): Promise<Record<string, number>>;
  /**
   * Every journal entry ever committed, counted by (from, event, to): the fleet on the machine's
   * chart. Kept as counters updated in the commit's transaction, so it costs the same on a million
   * onboardings as on ten; a stale commit counts nothing. In no particular order.
   */
  countsByTransition(): Promise<TransitionCount[]>;
  /**
   * Leases up to `limit` outbox events for delivery: pending, due, not leased by a live deliverer,
   * and for each user only its lowest pending sequence number, so one user's events are delivered
   * in order and no event is delivered by two deliverers at once. Oldest first. `lane` is ignored.
   */
  claimOutbox(options: ClaimOptions): Promise<ClaimedOutboxEvent[]>;
  /** Records what became of claimed deliveries: delivered, retry later, or failed for good. */
  settleOutbox(settlements: readonly OutboxSettlement[]): Promise<void>;
  /** Delivery counts and the oldest pending event. */
  outboxStats(): Promise<OutboxStats>;
  /** Sends every event created at or after `since` again (back to pending, due now); returns how many. */
  replayOutbox(options: { since: number; now: number }): Promise<number>;
  /** Earliest moment `claimOutbox` could return something, or null. */
  nextOutboxAt(): Promise<number | null>;
  close(): Promise<void>;
}

/** A capability of a store: one rate budget shared by every worker of the store (PostgreSQL). */
export interface SharedBudget {
  /**
   * Refills `bucket` by `perMinute` tokens per minute since its last use (capped at `burst`; a new
   * bucket starts full), then takes `min(want, whole tokens available)`. Atomic across processes.
   * Returns how many tokens were granted (0 when the budget is spent) and what is left in the
   * bucket after them (a fraction of a token, usually), so a worker knows when the next one is due.
   */
  takeTokens(
    bucket: Lane,
    want: number,
    now: number,
    perMinute: number,
    burst: number,
  ): Promise<{ granted: number; left: number }>;
  /**
   * Puts back `count` tokens taken moments ago but not spent (fewer onboardings were due than were
   * paid for), refilling first as takeTokens does and never above `burst`. A worker that kept them
   * for later instead could spend them on top of the bucket's own burst and overrun the limit.
   */
  returnTokens(bucket: Lane, count: number, now: number, perMinute: number, burst: number): Promise<void>;
}

/** A capability of a store: it wakes idle workers when another process adds work (LISTEN/NOTIFY). */
export interface WakeNotifications {
  /** Calls `onWake` when work may have become due; resolves once listening; the result stops it. */
  listen(onWake: () => void): Promise<() => Promise<void>>;
}

export function hasSharedBudget<S extends OnboardingStore>(store: S): store is S & SharedBudget {
  return typeof (store as Partial<SharedBudget>).takeTokens === 'function';
}

export function hasWakeNotifications<S extends OnboardingStore>(store: S): store is S & WakeNotifications {
  return typeof (store as Partial<WakeNotifications>).listen === 'function';
}

/** The most rows one page of `list` returns, whatever limit is asked for. */
export const LIST_PAGE_MAX = 10_000;

/** The rows of a `list` page at most: a NaN limit is a programmer error, anything above the cap is the cap. */
export function listPageSize(limit: number): number {
  if (Number.isNaN(limit)) throw new Error('list: limit must be a number of rows, got NaN');
  return Math.min(LIST_PAGE_MAX, Math.max(0, Math.trunc(limit)));
}

/** `evt_<n>` back to n; anything else is a programmer error (ids come from claimOutbox). */
export function outboxEventNumber(id: string): number {
  const match = /^evt_([1-9][0-9]*)$/.exec(id);
  if (match === null)
    throw new Error(`not an outbox event id: ${JSON.stringify(id)} (they look like evt_12)`);
  return Number(match[1]);
}

/**
 * An event goes into the sequence of the onboarding that produced it; one naming another user would
 * put that user's deliveries out of order, so a store refuses it as the programmer error it is.
 */
export function checkOutboxUser(userId: string, payload: OutboxPayload): void {
  if (payload.userId !== userId) {
    throw new Error(
      `an outbox event of user ${payload.userId} was given with the onboarding of user ${userId}`,
    );
  }
}

/** Journal entries counted by (from, event, to): what a store adds to its counters in a commit. */
export class TransitionTally {
  readonly #counts = new Map<string, TransitionCount>();

  add(entries: readonly Pick<JournalEntry, 'from' | 'event' | 'to'>[]): void {
    for (const { from, event, to } of entries) {
      // NUL cannot occur in a state path or an event type, so the key is unambiguous.
      const key = `${from}\0${event}\0${to}`;
      const known = this.#counts.get(key);
      if (known === undefined) this.#counts.set(key, { from, event, to, count: 1 });
      else known.count++;
    }
  }

  /** In key order, so that concurrent writers lock counter rows in one order and never deadlock. */
  counts(): TransitionCount[] {
    return [...this.#counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  }
}
