import { canonicalJson } from '../crypto/canonical-json.js';
import {
  type ClaimOptions,
  type CommitResult,
  type CommitTransition,
  type JournalEntry,
  LANE_STATES,
  LANES,
  type Lane,
  type NewOnboarding,
  type OnboardingRow,
  type OnboardingStore,
  type StateCounts,
  StoredRecordError,
  type StoredRecordProblem,
  type SubmitOutcome,
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

/**
 * The reference implementation of the store contract, in memory. For engine unit tests and as the
 * readable statement of the semantics every durable adapter must match (see runStoreContract).
 */
export function createMemoryStore(): MemoryStore {
  const entries = new Map<string, Entry>();
  let inserted = 0;
  const clone = <T>(value: T): T => structuredClone(value);
  const leasedByLiveOwner = (e: Entry, now: number) =>
    e.leaseOwner !== null && e.leaseExpiresAt !== null && e.leaseExpiresAt >= now;

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

    async close() {},
  };
}
