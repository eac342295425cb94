import { canonicalJson } from '../crypto/canonical-json.js';
import {
  type ClaimedOutboxEvent,
  type ClaimOptions,
  type CommitResult,
  type CommitTransition,
  checkOutboxUser,
  type JournalEntry,
  LANE_STATES,
  LANES,
  type Lane,
  type ListOptions,
  listPageSize,
  type NewOnboarding,
  type OnboardingRow,
  type OnboardingStore,
  type OutboxPayload,
  type OutboxSettlement,
  type OutboxStats,
  type OutboxStatus,
  outboxEventNumber,
  type StateCounts,
  StoredRecordError,
  type StoredRecordProblem,
  type SubmitOutcome,
  TransitionTally,
} from '../ports/store.js';
import type { InputRecord } from '../schemas/record.js';

interface Entry {
  row: OnboardingRow;
  /** Counts inserts: new onboardings of one wakeAt are claimed in the order they were submitted. */
  seq: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** canonicalJson of the record; null once erased. Plaintext is fine here: nothing is persisted. */
  record: string | null;
  /** Set by `tamper.record`: loadRecord fails as a durable store's would for a damaged record. */
  recordProblem?: StoredRecordProblem | undefined;
  journal: JournalEntry[];
}

/** One outbox event with its delivery state, as a durable store keeps it in its outbox table. */
interface StoredEvent {
  /** The global, increasing number of the event: its id is `evt_<n>`. */
  n: number;
  userId: string;
  seq: number;
  payload: OutboxPayload;
  createdAt: number;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

export interface MemoryStore extends OnboardingStore {
  /** Damages stored data the way a corrupt byte on disk would, for tests of quarantine. */
  tamper: {
    snapshot(userId: string, snapshot: OnboardingRow['snapshot']): void;
    record(userId: string, problem: StoredRecordProblem): void;
  };
}

/** The state of onboardings not started yet, claimed after the started ones of its lane. */
const NEW_STATE = 'policyPending' satisfies (typeof LANE_STATES.write)[number];

/** Whether a claim of `lane` (or of any lane) may take an onboarding in `state`. */
function inLane(lane: Lane | undefined, state: string): boolean {
  if (lane === undefined) return true;
  const states = LANE_STATES[lane] as readonly string[] | undefined;
  if (states === undefined) throw new Error(`unknown lane ${String(lane)}: use one of ${LANES.join(', ')}`);
  return states.includes(state);
}

/** The kind of a row's last error as the machine recorded it in its context; `unknown` when it did not. */
function errorKindOf(snapshot: OnboardingRow['snapshot']): string {
  const context = snapshot.context as { lastError?: { kind?: unknown } | null } | null | undefined;
  const kind = context?.lastError?.kind;
  return typeof kind === 'string' ? kind : 'unknown';
}

/**
 * The reference implementation of the store contract, in memory. For engine unit tests and as the
 * readable statement of the semantics every durable adapter must match (see runStoreContract).
 */
export function createMemoryStore(): MemoryStore {
  const entries = new Map<string, Entry>();
  let inserted = 0;
  /** In id order: appended as written, never removed. */
  const outbox: StoredEvent[] = [];
  const eventsOf = new Map<string, StoredEvent[]>();
  const clone = <T>(value: T): T => structuredClone(value);
  const leasedByLiveOwner = (e: Entry, now: number) =>
    e.leaseOwner !== null && e.leaseExpiresAt !== null && e.leaseExpiresAt >= now;

  /** Appends `payload` as the user's next event (seq = the user's last + 1), due at once. */
  const writeEvent = (userId: string, payload: OutboxPayload, now: number) => {
    const own = eventsOf.get(userId) ?? [];
    const event: StoredEvent = {
      n: outbox.length + 1,
      userId,
      seq: (own.at(-1)?.seq ?? 0) + 1,
      payload: clone(payload),
      createdAt: now,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastError: null,
      deliveredAt: null,
    };
    own.push(event);
    eventsOf.set(userId, own);
    outbox.push(event);
  };
  const eventLeased = (e: StoredEvent, now: number) =>
    e.leaseOwner !== null && e.leaseExpiresAt !== null && e.leaseExpiresAt >= now;
  /** Whether an earlier event of the same user is still pending: then this one waits for it. */
  const waitsBehind = (e: StoredEvent) =>
    eventsOf.get(e.userId)!.some((other) => other.seq < e.seq && other.status === 'pending');
  const eventOut = (e: StoredEvent): ClaimedOutboxEvent => ({
    ...clone(e.payload),
    id: `evt_${e.n}`,
    seq: e.seq,
    createdAt: e.createdAt,
    attempts: e.attempts,
  });

  const entry = (userId: string) => {
    const e = entries.get(userId);
    if (e === undefined) throw new Error(`no onboarding for user ${userId}`);
    return e;
  };

  return {
    tamper: {
      snapshot(userId, snapshot) {
        entry(userId).row.snapshot = clone(snapshot);
      },
      record(userId, problem) {
        entry(userId).recordProblem = problem;
      },
    },

    async submit(items: readonly NewOnboarding[], options: { update?: boolean; now: number }) {
      for (const item of items)
        if (item.outbox !== undefined) checkOutboxUser(item.record.userId, item.outbox);
      const outcomes: SubmitOutcome[] = [];
      for (const item of items) {
        const userId = item.record.userId;
        const json = canonicalJson(item.record);
        const existing = entries.get(userId);
        if (existing === undefined) {
          entries.set(userId, {
            row: {
              userId,
              state: item.state,
              snapshot: clone(item.snapshot),
              machineVersion: item.machineVersion,
              version: 1,
              wakeAt: item.wakeAt,
              attempts: 0,
              lastError: null,
              outcome: null,
              createdAt: options.now,
              updatedAt: options.now,
            },
            seq: inserted++,
            leaseOwner: null,
            leaseExpiresAt: null,
            record: json,
            journal: [],
          });
          if (item.outbox !== undefined) writeEvent(userId, item.outbox, options.now);
          outcomes.push({ userId, status: 'created' });
        } else if (existing.record === json) {
          outcomes.push({ userId, status: 'unchanged' });
        } else if (options.update === true) {
          existing.record = json;
          existing.recordProblem = undefined;
          outcomes.push({ userId, status: 'updated' });
        } else {
          outcomes.push({ userId, status: 'conflict' });
        }
      }
      return outcomes;
    },

    async claimDue({ now, limit, owner, leaseMs, lane }: ClaimOptions) {
      // Onboardings in progress first, earliest first (then by user id); then new ones (policyPending),
      // earliest first, then in submit order.
      const isNew = (e: Entry) => e.row.state === NEW_STATE;
      const due = [...entries.values()]
        .filter(
          (e) =>
            inLane(lane, e.row.state) &&
            e.row.wakeAt !== null &&
            e.row.wakeAt <= now &&
            !leasedByLiveOwner(e, now),
        )
        .sort(
          (a, b) =>
            Number(isNew(a)) - Number(isNew(b)) ||
            a.row.wakeAt! - b.row.wakeAt! ||
            (isNew(a) ? a.seq - b.seq : a.row.userId < b.row.userId ? -1 : 1),
        )
        .slice(0, Math.max(0, limit));
      return due.map((e) => {
        e.leaseOwner = owner;
        e.leaseExpiresAt = now + leaseMs;
        e.row.version += 1;
        return clone(e.row);
      });
    },

    async renewLeases(userIds: readonly string[], owner: string, leaseUntil: number) {
      for (const id of userIds) {
        const e = entries.get(id);
        if (e !== undefined && e.leaseOwner === owner) e.leaseExpiresAt = leaseUntil;
      }
    },

    async commit(transitions: readonly CommitTransition[]) {
      for (const t of transitions) for (const payload of t.outbox ?? []) checkOutboxUser(t.userId, payload);
      const results: CommitResult[] = [];
      for (const t of transitions) {
        const e = entries.get(t.userId);
        if (e === undefined || e.row.version !== t.expectedVersion) {
          results.push({ userId: t.userId, committed: false });
          continue;
        }
        e.row = {
          ...e.row,
          state: t.state,
          snapshot: clone(t.snapshot),
          version: e.row.version + 1,
          wakeAt: t.wakeAt,
          attempts: t.attempts,
          lastError: t.lastError,
          outcome: t.outcome,
          updatedAt: t.now,
        };
        if (t.releaseLease) {
          e.leaseOwner = null;
          e.leaseExpiresAt = null;
        }
        if (t.eraseRecord === true) e.record = null;
        for (const j of t.journal) e.journal.push({ ...clone(j), userId: t.userId });
        for (const payload of t.outbox ?? []) writeEvent(t.userId, payload, t.now);
        results.push({ userId: t.userId, committed: true, newVersion: e.row.version });
      }
      return results;
    },

    async get(userId: string) {
      const e = entries.get(userId);
      return e === undefined ? undefined : clone(e.row);
    },

    async loadRecord(userId: string) {
      const e = entries.get(userId);
      if (e?.recordProblem !== undefined && e.record !== null) {
        throw new StoredRecordError(e.recordProblem, userId, `the record of user ${userId} is damaged`);
      }
      const record = e?.record;
      return record === null || record === undefined ? undefined : (JSON.parse(record) as InputRecord);
    },

    async replaceRecord(userId: string, record: InputRecord) {
      const e = entries.get(userId);
      if (e === undefined) throw new Error(`no onboarding for user ${userId}: submit it first`);
      e.record = canonicalJson(record);
      e.recordProblem = undefined;
    },

    async erasePersonalData(userId: string) {
      const e = entries.get(userId);
      if (e !== undefined) e.record = null;
    },

    async journal(userId: string, options?: { limit?: number }) {
      const all = entries.get(userId)?.journal ?? [];
      const limit = options?.limit;
      return clone(limit === undefined ? all : limit <= 0 ? [] : all.slice(-limit));
    },

    async countsByState() {
      const counts: StateCounts = {};
      for (const e of entries.values()) counts[e.row.state] = (counts[e.row.state] ?? 0) + 1;
      return counts;
    },

    async nextWakeAt(lane?: Lane) {
      let next: number | null = null;
      for (const e of entries.values()) {
        if (e.row.wakeAt === null || !inLane(lane, e.row.state)) continue;
        const at = e.leaseOwner === null ? e.row.wakeAt : Math.max(e.row.wakeAt, (e.leaseExpiresAt ?? 0) + 1);
        if (next === null || at < next) next = at;
      }
      return next;
    },

    async list(options: ListOptions) {
      const limit = listPageSize(options.limit);
      const states = options.states === undefined ? undefined : new Set<string>(options.states);
      const rows: OnboardingRow[] = [];
      for (const { row } of entries.values()) {
        if (options.after !== undefined && row.userId <= options.after) continue;
        if (states !== undefined && !states.has(row.state)) continue;
        if (options.outcome !== undefined && row.outcome !== options.outcome) continue;
        if (options.changedSince !== undefined && row.updatedAt < options.changedSince) continue;
        rows.push(row);
      }
      rows.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
      return clone(rows.slice(0, limit));
    },

    async countsByErrorKind() {
      const counts: Record<string, number> = {};
      for (const { row } of entries.values()) {
        if (row.lastError === null) continue;
        const kind = errorKindOf(row.snapshot);
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      return counts;
    },

    async countsByTransition() {
      const tally = new TransitionTally();
      for (const { journal } of entries.values()) tally.add(journal);
      return tally.counts();
    },

    async countsByRequestedItem() {
      const counts: Record<string, number> = {};
      for (const { row } of entries.values()) {
        if (row.state !== 'requiresData') continue;
        const requested = (row.snapshot.context as { requested?: unknown } | null)?.requested as
          | { missingData?: unknown; missingDocuments?: unknown }
          | null
          | undefined;
        // A row counts once per item, however often its snapshot repeats it.
        const items = new Set<string>();
        for (const [prefix, list] of [
          ['data', requested?.missingData],
          ['document', requested?.missingDocuments],
        ] as const) {
          if (Array.isArray(list)) for (const item of list) items.add(`${prefix}:${String(item)}`);
        }
        for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
      }
      return counts;
    },

    async claimOutbox({ now, limit, owner, leaseMs }: ClaimOptions) {
      const claimed: StoredEvent[] = [];
      for (const e of outbox) {
        if (claimed.length >= Math.max(0, Math.trunc(limit))) break;
        if (e.status !== 'pending' || e.nextAttemptAt > now || eventLeased(e, now) || waitsBehind(e))
          continue;
        claimed.push(e);
      }
      return claimed.map((e) => {
        e.leaseOwner = owner;
        e.leaseExpiresAt = now + leaseMs;
        return eventOut(e);
      });
    },

    async settleOutbox(settlements: readonly OutboxSettlement[]) {
      for (const s of settlements) {
        const e = outbox[outboxEventNumber(s.id) - 1];
        if (e === undefined) continue;
        if (s.delivered) {
          // A delivery counts even if a late deliverer's lease had expired; a second one changes nothing.
          if (e.status === 'delivered') continue;
          e.status = 'delivered';
          e.deliveredAt = s.now;
        } else {
          // A failure reported after another deliverer delivered (or gave up) undoes nothing.
          if (e.status !== 'pending') continue;
          e.attempts += 1;
          e.lastError = s.error;
          if (s.retryAt === null) e.status = 'failed';
          else e.nextAttemptAt = s.retryAt;
        }
        e.leaseOwner = null;
        e.leaseExpiresAt = null;
      }
    },

    async outboxStats() {
      const stats: OutboxStats = { pending: 0, failed: 0, delivered: 0, oldestPendingAt: null };
      for (const e of outbox) {
        stats[e.status] += 1;
        if (e.status === 'pending' && (stats.oldestPendingAt === null || e.createdAt < stats.oldestPendingAt))
          stats.oldestPendingAt = e.createdAt;
      }
      return stats;
    },

    async replayOutbox({ since, now }: { since: number; now: number }) {
      let replayed = 0;
      for (const e of outbox) {
        if (e.createdAt < since) continue;
        Object.assign(e, {
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          leaseOwner: null,
          leaseExpiresAt: null,
          lastError: null,
          deliveredAt: null,
        } satisfies Partial<StoredEvent>);
        replayed += 1;
      }
      return replayed;
    },

    async nextOutboxAt() {
      // Only the first pending event of each user can be claimed; the others wait for it however
      // early they are due, so counting them would wake a deliverer for nothing.
      let next: number | null = null;
      for (const e of outbox) {
        if (e.status !== 'pending' || waitsBehind(e)) continue;
        const at =
          e.leaseOwner === null ? e.nextAttemptAt : Math.max(e.nextAttemptAt, (e.leaseExpiresAt ?? 0) + 1);
        if (next === null || at < next) next = at;
      }
      return next;
    },

    async close() {},
  };
}
