import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKeyringMismatchError } from '../crypto/key-check.js';
import { generateKey } from '../crypto/keyring.js';
import type { TopLevelState } from '../machine/snapshot.js';
import {
  type ClaimedOutboxEvent,
  type CommitTransition,
  isStoredRecordError,
  type JournalEntry,
  type Lane,
  type OnboardingRow,
  type OnboardingStore,
  type OutboxEventType,
  type OutboxPayload,
  type Outcome,
  type TransitionCount,
} from '../ports/store.js';
import type { InputRecord } from '../schemas/record.js';
import { CANARY, canaryRecord, sampleOnboarding, sampleRecord } from './fixtures.js';

export interface StoreUnderTest {
  store: OnboardingStore;
  cleanup(): Promise<void>;
  /** Damages stored bytes as a bad disk or a careless hand would; durable stores provide it. */
  tamper?: {
    /** Overwrites the stored snapshot of `userId` with bytes that no longer parse as a snapshot. */
    snapshot(userId: string): Promise<void>;
    /** Flips a byte of the stored ciphertext of `userId`. */
    record(userId: string): Promise<void>;
  };
  /**
   * Closes the store and opens the same data with the keyring `keys` (as KYC_HANDOFF_ENCRYPTION_KEY
   * spells it); `keyId` and `key` are the id and base64 key the store was first opened with.
   */
  reopen?: (keys: string) => Promise<OnboardingStore>;
  keyId?: string;
  key?: string;
}

const T0 = 1_750_000_000_000;
const LEASE = 30_000;

function transition(row: OnboardingRow, overrides: Partial<CommitTransition> = {}): CommitTransition {
  return {
    userId: row.userId,
    expectedVersion: row.version,
    state: 'userCreated',
    snapshot: { value: 'userCreated', context: { userId: row.userId, attempts: 0 } },
    wakeAt: T0 + 1_000,
    attempts: 0,
    lastError: null,
    outcome: null,
    journal: [
      { userId: row.userId, at: T0 + 10, from: row.state, event: 'POLICY_RECORDED', to: 'userCreated' },
    ],
    releaseLease: true,
    now: T0 + 10,
    ...overrides,
  };
}

/** The same value with every object's keys in reverse order, at every depth. */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  ) as T;
}

/** The state each event type reports, as the engine writes them. */
const EVENT_STATE = {
  submitted: 'policyPending',
  verified: 'verified',
  rejected: 'rejected',
  requiresData: 'requiresData',
  failed: 'failed',
} as const satisfies Record<OutboxEventType, TopLevelState>;

/** An outbox payload as the engine builds it: ids, states and reasons only. */
function outboxEvent(
  userId: string,
  type: OutboxEventType,
  at = T0,
  overrides: Partial<OutboxPayload> = {},
): OutboxPayload {
  return {
    type,
    userId,
    state: EVENT_STATE[type],
    outcome: type === 'verified' || type === 'rejected' ? type : null,
    eligibility: type === 'verified' ? [{ type: 'offramp', status: 'verified' }] : null,
    requested: type === 'requiresData' ? { missingData: ['kyc-data'], missingDocuments: ['id'] } : null,
    failure: type === 'failed' ? { reason: 'invalid-data', message: 'kycData.email is invalid' } : null,
    at,
    ...overrides,
  };
}

/** `user#seq:type` of each event, the way a reader checks which events came in which order. */
const described = (events: readonly ClaimedOutboxEvent[]) =>
  events.map((e) => `${e.userId}#${e.seq}:${e.type}`);

function entry(userId: string, at: number, event: string, detail?: string): JournalEntry {
  return detail === undefined
    ? { userId, at, from: 'a', event, to: 'b' }
    : { userId, at, from: 'a', event, to: 'b', detail };
}

/**
 * The behaviour every OnboardingStore adapter must have. Call it from a test file of the adapter;
 * `makeStore` gives a fresh, empty store for each test.
 *
 * Semantics pinned here that the port's comments leave open:
 * - a new onboarding starts at version 1, attempts 0, no error, no outcome;
 * - a lease is live while `now <= leaseExpiresAt`; a live lease blocks every claimer, its owner
 *   included, so a worker never receives an onboarding it is still working on;
 * - claiming increments `version`: the version a claim returns is the worker's fencing token, so a
 *   worker whose lease expired and was taken over cannot commit any more;
 * - `journal(id, { limit })` returns the latest `limit` entries, oldest first;
 * - `nextWakeAt()` is the earliest moment `claimDue` could return something: for each row with a
 *   wakeAt, its wakeAt, or one ms after its lease expiry if that is later (it may be in the past);
 *   `nextWakeAt(lane)` the same over the rows of that lane;
 * - within the write lane, and without a lane, new onboardings (policyPending) of one wakeAt come
 *   in the order they were submitted, even within one batch; started ones of one wakeAt by user id;
 * - a lane the port does not know is refused (a programmer error, never an empty claim);
 * - `submit` with `update: true` and `replaceRecord` replace the record only: the row (version,
 *   updatedAt, state, wakeAt) is untouched, re-driving the onboarding is the engine's decision;
 * - after `erasePersonalData`, the store no longer knows the record, so submitting it again is a
 *   `conflict` (or `updated` with `update: true`, which stores it again);
 * - an outbox event is due from its createdAt (the submit's or the transition's `now`) and leased
 *   like an onboarding (live while `now <= expiry`, blocking its owner too); a claim never counts
 *   as an attempt, a failed delivery does;
 * - `nextOutboxAt()` counts only the first pending event of each user (the others cannot be claimed
 *   before it is settled, however early they are due): its next attempt, or one ms after its lease
 *   expires if that is later;
 * - a delivery, once reported, is final: a failure reported afterwards (by a deliverer whose lease
 *   had expired) changes nothing; only `replayOutbox` sends the event again;
 * - an outbox payload must name the user of its onboarding: one naming another is refused and
 *   nothing of that call is written;
 * - `list` with `states: []` matches no row (any of no state), like SQL's `IN ()`.
 */
export function runStoreContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  /** What the adapter keeps: `encrypted` stores also pass the key checks (they provide `reopen`). */
  kind: { encrypted?: boolean } = {},
): void {
  describe(`${name}: OnboardingStore contract`, () => {
    let subject: StoreUnderTest;
    let store: OnboardingStore;

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });
    afterEach(async () => {
      await store.close();
      await subject.cleanup();
    });

    const submitOne = async (
      record: InputRecord,
      wakeAt: number | null = T0,
      state: TopLevelState = 'policyPending',
    ) => {
      const [outcome] = await store.submit([sampleOnboarding(record, { wakeAt, state })], { now: T0 });
      return outcome;
    };
    const seed = async (wakeAts: readonly (number | null)[]) => {
      await store.submit(
        wakeAts.map((wakeAt, i) => sampleOnboarding(sampleRecord({ userId: `u${i}` }), { wakeAt })),
        { now: T0 },
      );
    };
    const claimAll = (owner: string, now = T0 + 100_000, limit = 100) =>
      store.claimDue({ now, limit, owner, leaseMs: LEASE });
    const ids = (rows: readonly OnboardingRow[]) => rows.map((r) => r.userId);

    describe('submit', () => {
      it('creates an onboarding storing state, wakeAt, snapshot and machine version as given', async () => {
        const record = sampleRecord({ userId: 'alice' });
        const snapshot = {
          value: { kyc: 'pending' },
          context: { targets: ['a', 'b'], nested: { n: 1, f: 0.5 } },
        };
        const outcomes = await store.submit(
          [sampleOnboarding(record, { state: 'userCreated', snapshot, machineVersion: 7, wakeAt: T0 + 5 })],
          { now: T0 },
        );
        expect(outcomes).toEqual([{ userId: 'alice', status: 'created' }]);
        expect(await store.get('alice')).toEqual({
          userId: 'alice',
          state: 'userCreated',
          snapshot,
          machineVersion: 7,
          version: 1,
          wakeAt: T0 + 5,
          attempts: 0,
          lastError: null,
          outcome: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(await store.loadRecord('alice')).toEqual(record);
      });

      it('stores a null wakeAt as null', async () => {
        await submitOne(sampleRecord({ userId: 'waiting' }), null);
        expect((await store.get('waiting'))?.wakeAt).toBeNull();
      });

      it('the same user with the same record is unchanged and the row is untouched', async () => {
        const record = sampleRecord({ userId: 'alice' });
        await submitOne(record);
        const before = await store.get('alice');
        const outcomes = await store.submit(
          [sampleOnboarding(record, { state: 'requiresData', wakeAt: null })],
          {
            now: T0 + 500,
          },
        );
        expect(outcomes).toEqual([{ userId: 'alice', status: 'unchanged' }]);
        expect(await store.get('alice')).toEqual(before);
      });

      it('one batch of many users, one of them known and one twice: each outcome in order, each row and first event once', async () => {
        await submitOne(sampleRecord({ userId: 'known' }));
        const users = Array.from({ length: 40 }, (_, i) => `batch-${String(i).padStart(2, '0')}`);
        const changed = sampleRecord({
          userId: 'batch-07',
          privacyPolicyAcceptedAt: '2026-02-02T00:00:00.000Z',
        });
        const items = [
          ...users.slice(0, 20).map((userId) => sampleOnboarding(sampleRecord({ userId }))),
          sampleOnboarding(sampleRecord({ userId: 'known' })),
          sampleOnboarding(sampleRecord({ userId: 'batch-03' })),
          sampleOnboarding(changed),
          ...users.slice(20).map((userId) => sampleOnboarding(sampleRecord({ userId }))),
        ];
        const outcomes = await store.submit(items, { now: T0 + 1 });
        expect(outcomes).toEqual([
          ...users.slice(0, 20).map((userId) => ({ userId, status: 'created' })),
          { userId: 'known', status: 'unchanged' },
          { userId: 'batch-03', status: 'unchanged' },
          { userId: 'batch-07', status: 'conflict' },
          ...users.slice(20).map((userId) => ({ userId, status: 'created' })),
        ]);
        for (const userId of users) {
          expect(await store.loadRecord(userId)).toEqual(sampleRecord({ userId }));
          expect((await store.get(userId))?.version).toBe(1);
        }
        const updated = await store.submit([sampleOnboarding(changed)], { now: T0 + 2, update: true });
        expect(updated).toEqual([{ userId: 'batch-07', status: 'updated' }]);
        expect(await store.loadRecord('batch-07')).toEqual(changed);
      });

      it('a record equal up to key order counts as the same record', async () => {
        const record = sampleRecord({ userId: 'alice' });
        await submitOne(record);
        expect(await submitOne(reverseKeys(record))).toEqual({ userId: 'alice', status: 'unchanged' });
      });

      it('a different record for the same user is a conflict and changes nothing', async () => {
        const original = sampleRecord({ userId: 'alice' });
        await submitOne(original);
        const before = await store.get('alice');
        const changed = sampleRecord({
          userId: 'alice',
          privacyPolicyAcceptedAt: '2026-02-02T00:00:00.000Z',
        });
        expect(await submitOne(changed)).toEqual({ userId: 'alice', status: 'conflict' });
        expect(await store.get('alice')).toEqual(before);
        expect(await store.loadRecord('alice')).toEqual(original);
      });

      it('with update: true a different record is updated: the record is replaced, the row is not', async () => {
        await submitOne(sampleRecord({ userId: 'alice' }));
        const before = await store.get('alice');
        const changed = sampleRecord({
          userId: 'alice',
          privacyPolicyAcceptedAt: '2026-02-02T00:00:00.000Z',
        });
        const outcomes = await store.submit([sampleOnboarding(changed)], { now: T0 + 1, update: true });
        expect(outcomes).toEqual([{ userId: 'alice', status: 'updated' }]);
        expect(await store.loadRecord('alice')).toEqual(changed);
        expect(await store.get('alice')).toEqual(before);
        expect(await submitOne(changed)).toEqual({ userId: 'alice', status: 'unchanged' });
      });

      it('with update: true the same record is still unchanged', async () => {
        const record = sampleRecord({ userId: 'alice' });
        await submitOne(record);
        const outcomes = await store.submit([sampleOnboarding(record)], { now: T0 + 1, update: true });
        expect(outcomes).toEqual([{ userId: 'alice', status: 'unchanged' }]);
      });

      it('a batch of 1,000 in one call creates them all, outcomes in input order', async () => {
        const items = Array.from({ length: 1000 }, (_, i) =>
          sampleOnboarding(sampleRecord({ userId: `bulk-${String(i).padStart(4, '0')}` })),
        );
        const outcomes = await store.submit(items, { now: T0 });
        expect(outcomes).toHaveLength(1000);
        expect(outcomes.every((o, i) => o.status === 'created' && o.userId === items[i]!.record.userId)).toBe(
          true,
        );
        expect(await store.countsByState()).toEqual({ policyPending: 1000 });
      });

      it('a mixed batch reports created, unchanged, conflict and a repeat within the batch', async () => {
        const a = sampleRecord({ userId: 'a' });
        const b = sampleRecord({ userId: 'b' });
        await store.submit([sampleOnboarding(a), sampleOnboarding(b)], { now: T0 });
        const bChanged = sampleRecord({ userId: 'b', privacyPolicyAcceptedAt: '2026-03-03T00:00:00.000Z' });
        const c = sampleRecord({ userId: 'c' });
        const outcomes = await store.submit(
          [sampleOnboarding(a), sampleOnboarding(bChanged), sampleOnboarding(c), sampleOnboarding(c)],
          { now: T0 },
        );
        expect(outcomes.map((o) => `${o.userId}:${o.status}`)).toEqual([
          'a:unchanged',
          'b:conflict',
          'c:created',
          'c:unchanged',
        ]);
      });

      it('an empty batch does nothing', async () => {
        expect(await store.submit([], { now: T0 })).toEqual([]);
        expect(await store.countsByState()).toEqual({});
      });
    });

    describe('claimDue', () => {
      it('claims only onboardings with wakeAt <= now, earliest first', async () => {
        await seed([T0 + 30, T0 + 10, T0 + 20, T0 + 40]);
        const claimed = await store.claimDue({ now: T0 + 30, limit: 10, owner: 'w1', leaseMs: LEASE });
        expect(ids(claimed)).toEqual(['u1', 'u2', 'u0']);
      });

      it('takes at most limit onboardings, the earliest ones', async () => {
        await seed([T0 + 3, T0 + 1, T0 + 2, T0 + 4]);
        const claimed = await store.claimDue({ now: T0 + 10, limit: 2, owner: 'w1', leaseMs: LEASE });
        expect(ids(claimed)).toEqual(['u1', 'u2']);
      });

      it('claims onboardings in progress before new ones, new ones filling the rest of limit', async () => {
        // New onboardings due earlier than started ones: a backlog must not starve work in progress.
        await store.submit(
          [
            ...[0, 1, 2, 3, 4].map((wakeAt, i) =>
              sampleOnboarding(sampleRecord({ userId: `new${i}` }), { wakeAt }),
            ),
            ...[12, 10, 11].map((wakeAt, i) =>
              sampleOnboarding(sampleRecord({ userId: `started${i}` }), {
                wakeAt,
                state: 'verificationPending',
              }),
            ),
          ],
          { now: T0 },
        );
        const claimed = await store.claimDue({ now: 100, limit: 4, owner: 'w1', leaseMs: LEASE });
        expect(ids(claimed)).toEqual(['started1', 'started2', 'started0', 'new0']);
        const next = await store.claimDue({ now: 100, limit: 2, owner: 'w2', leaseMs: LEASE });
        expect(ids(next)).toEqual(['new1', 'new2']);
      });

      it('claims new onboardings, earliest first, when nothing in progress is due', async () => {
        await store.submit(
          [
            sampleOnboarding(sampleRecord({ userId: 'new0' }), { wakeAt: 5 }),
            sampleOnboarding(sampleRecord({ userId: 'new1' }), { wakeAt: 3 }),
            sampleOnboarding(sampleRecord({ userId: 'started' }), { wakeAt: 200, state: 'userCreated' }),
            sampleOnboarding(sampleRecord({ userId: 'waiting' }), { wakeAt: null, state: 'userCreated' }),
          ],
          { now: T0 },
        );
        const claimed = await store.claimDue({ now: 100, limit: 4, owner: 'w1', leaseMs: LEASE });
        expect(ids(claimed)).toEqual(['new1', 'new0']);
      });

      it('never claims an onboarding whose wakeAt is null', async () => {
        await seed([null, T0, null]);
        expect(ids(await claimAll('w1', Number.MAX_SAFE_INTEGER))).toEqual(['u1']);
      });

      it('a second owner gets none of the leased onboardings, only the free ones', async () => {
        await seed([T0, T0, T0]);
        const first = await store.claimDue({ now: T0, limit: 2, owner: 'w1', leaseMs: LEASE });
        const second = await store.claimDue({ now: T0 + 1, limit: 10, owner: 'w2', leaseMs: LEASE });
        expect(ids(first)).toEqual(['u0', 'u1']);
        expect(ids(second)).toEqual(['u2']);
        expect(await store.claimDue({ now: T0 + 2, limit: 10, owner: 'w3', leaseMs: LEASE })).toEqual([]);
      });

      it('a live lease blocks its own owner too, so a worker never gets in-flight work twice', async () => {
        await seed([T0]);
        await claimAll('w1', T0);
        expect(await claimAll('w1', T0 + 1)).toEqual([]);
      });

      it('an expired lease (now > expiry) can be reclaimed by another owner', async () => {
        await seed([T0]);
        await store.claimDue({ now: T0, limit: 1, owner: 'w1', leaseMs: LEASE });
        expect(await store.claimDue({ now: T0 + LEASE, limit: 1, owner: 'w2', leaseMs: LEASE })).toEqual([]);
        const reclaimed = await store.claimDue({
          now: T0 + LEASE + 1,
          limit: 1,
          owner: 'w2',
          leaseMs: LEASE,
        });
        expect(ids(reclaimed)).toEqual(['u0']);
      });

      it('claiming bumps the version, so a worker whose lease was taken over cannot commit', async () => {
        await seed([T0]);
        const [stale] = await store.claimDue({ now: T0, limit: 1, owner: 'w1', leaseMs: LEASE });
        const [fresh] = await store.claimDue({ now: T0 + LEASE + 1, limit: 1, owner: 'w2', leaseMs: LEASE });
        expect(fresh!.version).toBeGreaterThan(stale!.version);
        expect(await store.commit([transition(stale!)])).toEqual([{ userId: 'u0', committed: false }]);
        const [ok] = await store.commit([transition(fresh!)]);
        expect(ok?.committed).toBe(true);
      });

      it('returns the rows as stored, with the version to commit against', async () => {
        await seed([T0]);
        const [claimed] = await claimAll('w1');
        expect(claimed).toEqual(await store.get('u0'));
      });

      it('renewLeases extends the lease of the owner, not of anyone else', async () => {
        await seed([T0, T0]);
        await store.claimDue({ now: T0, limit: 2, owner: 'w1', leaseMs: LEASE });
        await store.renewLeases(['u0'], 'w1', T0 + 3 * LEASE);
        await store.renewLeases(['u1'], 'intruder', T0 + 3 * LEASE);
        const atOldExpiry = await store.claimDue({
          now: T0 + LEASE + 1,
          limit: 10,
          owner: 'w2',
          leaseMs: 10 * LEASE,
        });
        expect(ids(atOldExpiry)).toEqual(['u1']);
        const afterRenewal = await store.claimDue({
          now: T0 + 3 * LEASE + 1,
          limit: 10,
          owner: 'w3',
          leaseMs: LEASE,
        });
        expect(ids(afterRenewal)).toEqual(['u0']);
      });

      it('renewLeases of nothing or of unknown users is harmless', async () => {
        await store.renewLeases([], 'w1', T0);
        await store.renewLeases(['nobody'], 'w1', T0);
        expect(await store.get('nobody')).toBeUndefined();
      });
    });

    describe('claimDue by lane', () => {
      /** Onboardings in real machine states, submitted in one batch in this order. */
      const submitIn = (
        rows: readonly (readonly [userId: string, state: TopLevelState, wakeAt: number | null])[],
      ) =>
        store.submit(
          rows.map(([userId, state, wakeAt]) =>
            sampleOnboarding(sampleRecord({ userId }), {
              state,
              wakeAt,
              snapshot: { value: state, context: { userId, attempts: 0 } },
            }),
          ),
          { now: T0 },
        );
      const claimLane = (lane: Lane, owner: string, now = T0 + 100_000, limit = 100) =>
        store.claimDue({ now, limit, owner, leaseMs: LEASE, lane });

      it('the write lane claims only policyPending and userCreated onboardings, started ones first', async () => {
        // requiresData and verified get a wakeAt here (the machine never gives them one) to show that
        // the lane is chosen by state.
        await submitIn([
          ['new-b', 'policyPending', T0 + 5],
          ['review', 'verificationPending', T0 + 1],
          ['started-z', 'userCreated', T0 + 20],
          ['needs-data', 'requiresData', T0 + 1],
          ['done', 'verified', T0 + 1],
          ['started-a', 'userCreated', T0 + 20],
          ['started-m', 'userCreated', T0 + 10],
          ['new-a', 'policyPending', T0 + 5],
        ]);
        expect(ids(await claimLane('write', 'w1'))).toEqual([
          'started-m',
          'started-a',
          'started-z',
          'new-b',
          'new-a',
        ]);
      });

      it('the write lane returns a batch of new onboardings with one wakeAt in the order it was submitted', async () => {
        const batch = ['kim', 'ada', 'zoe', 'bob', 'max', 'eve'];
        await submitIn(batch.map((userId) => [userId, 'policyPending', T0] as const));
        const first = await claimLane('write', 'w1', T0, 4);
        const rest = await claimLane('write', 'w2', T0, 10);
        expect([ids(first), ids(rest)]).toEqual([
          ['kim', 'ada', 'zoe', 'bob'],
          ['max', 'eve'],
        ]);
      });

      it('new onboardings due earlier come first, whichever batch they were submitted in', async () => {
        await submitIn([
          ['late-2', 'policyPending', T0 + 50],
          ['late-1', 'policyPending', T0 + 50],
        ]);
        await submitIn([
          ['early-2', 'policyPending', T0 + 10],
          ['early-1', 'policyPending', T0 + 10],
        ]);
        expect(ids(await claimLane('write', 'w1'))).toEqual(['early-2', 'early-1', 'late-2', 'late-1']);
      });

      it('without a lane, every due onboarding comes, started ones first and new ones in submit order', async () => {
        await submitIn([
          ['zed', 'policyPending', T0],
          ['amy', 'policyPending', T0],
          ['review', 'verificationPending', T0 + 5],
          ['started', 'userCreated', T0 + 5],
          ['needs-data', 'requiresData', T0 + 1],
        ]);
        expect(ids(await claimAll('w1'))).toEqual(['needs-data', 'review', 'started', 'zed', 'amy']);
      });

      it('the read lane claims only verificationPending onboardings, earliest wakeAt first', async () => {
        await submitIn([
          ['poll-late', 'verificationPending', T0 + 30],
          ['new', 'policyPending', T0 + 1],
          ['poll-early', 'verificationPending', T0 + 10],
          ['started', 'userCreated', T0 + 1],
          ['poll-mid-b', 'verificationPending', T0 + 20],
          ['poll-mid-a', 'verificationPending', T0 + 20],
          ['needs-data', 'requiresData', T0 + 1],
          ['waiting', 'verificationPending', null],
        ]);
        const claimed = await claimLane('read', 'w1');
        expect(ids(claimed)).toEqual(['poll-early', 'poll-mid-a', 'poll-mid-b', 'poll-late']);
        // Claimed like any claim: the version moved on, and the row comes back as stored.
        expect(claimed.map((r) => r.version)).toEqual([2, 2, 2, 2]);
        expect(claimed[0]).toEqual(await store.get('poll-early'));
      });

      it("a claim of one lane leaves the other lane's due onboardings to another worker", async () => {
        await submitIn([
          ['poll-1', 'verificationPending', T0],
          ['new-1', 'policyPending', T0],
          ['poll-2', 'verificationPending', T0 + 1],
          ['started-1', 'userCreated', T0 + 1],
          ['needs-data', 'requiresData', T0],
        ]);
        const reads = await claimLane('read', 'w1');
        const writes = await claimLane('write', 'w2');
        const rest = await claimAll('w3');
        expect([ids(reads), ids(writes), ids(rest)]).toEqual([
          ['poll-1', 'poll-2'],
          ['started-1', 'new-1'],
          ['needs-data'],
        ]);
      });

      it('limit applies to each claim of a lane: started onboardings fill it first, new ones the rest', async () => {
        await submitIn([
          ['new-1', 'policyPending', T0],
          ['new-2', 'policyPending', T0],
          ['new-3', 'policyPending', T0],
          ['started-2', 'userCreated', T0 + 3],
          ['started-1', 'userCreated', T0 + 2],
          ['poll-1', 'verificationPending', T0],
          ['poll-2', 'verificationPending', T0 + 1],
        ]);
        expect(await claimLane('write', 'w1', T0 + 10, 0)).toEqual([]);
        expect(ids(await claimLane('write', 'w1', T0 + 10, 3))).toEqual(['started-1', 'started-2', 'new-1']);
        expect(ids(await claimLane('write', 'w2', T0 + 10, 1))).toEqual(['new-2']);
        expect(ids(await claimLane('read', 'w3', T0 + 10, 1))).toEqual(['poll-1']);
      });

      it('a live lease keeps an onboarding out of its lane until it expires, and leaves the other lane alone', async () => {
        await submitIn([
          ['poll', 'verificationPending', T0],
          ['user', 'userCreated', T0],
        ]);
        const [held] = await claimLane('read', 'w1', T0);
        expect(held?.userId).toBe('poll');
        expect(await claimLane('read', 'w1', T0 + LEASE)).toEqual([]);
        expect(ids(await claimLane('write', 'w2', T0 + LEASE))).toEqual(['user']);
        const [taken] = await claimLane('read', 'w2', T0 + LEASE + 1);
        expect(taken?.userId).toBe('poll');
        expect(taken!.version).toBeGreaterThan(held!.version);
      });

      it('an onboarding committed into verificationPending leaves the write lane for the read lane', async () => {
        await submitIn([['ada', 'policyPending', T0]]);
        const [row] = await claimLane('write', 'w1', T0);
        await store.commit([
          transition(row!, {
            state: 'verificationPending',
            snapshot: { value: { verificationPending: 'waiting' }, context: { userId: 'ada' } },
            wakeAt: T0 + 50,
          }),
        ]);
        expect(await claimLane('write', 'w2')).toEqual([]);
        expect(await store.nextWakeAt('write')).toBeNull();
        expect(await store.nextWakeAt('read')).toBe(T0 + 50);
        expect(ids(await claimLane('read', 'w2'))).toEqual(['ada']);
      });

      it('nextWakeAt(lane) is the earliest wakeAt of that lane; without a lane, of every onboarding', async () => {
        for (const lane of [...(['write', 'read'] as const), undefined])
          expect(await store.nextWakeAt(lane)).toBeNull();
        await submitIn([
          ['new', 'policyPending', T0 + 25],
          ['started', 'userCreated', T0 + 20],
          ['review', 'verificationPending', T0 + 10],
          ['later-review', 'verificationPending', T0 + 40],
          ['waiting', 'verificationPending', null],
          ['done', 'verified', null],
          // A wakeAt the machine never gives requiresData: only a claim without a lane takes it.
          ['needs-data', 'requiresData', T0 + 5],
        ]);
        expect(await store.nextWakeAt('write')).toBe(T0 + 20);
        expect(await store.nextWakeAt('read')).toBe(T0 + 10);
        expect(await store.nextWakeAt()).toBe(T0 + 5);
        await submitIn([['earlier-new', 'policyPending', T0 + 12]]);
        expect(await store.nextWakeAt('write')).toBe(T0 + 12);
      });

      it('nextWakeAt(lane) counts a leased onboarding of that lane from the end of its lease', async () => {
        await submitIn([
          ['poll-1', 'verificationPending', T0],
          ['poll-2', 'verificationPending', T0 + 5 * LEASE],
          ['user', 'userCreated', T0 + 2 * LEASE],
        ]);
        await claimLane('read', 'w1', T0, 1);
        expect(await store.nextWakeAt('read')).toBe(T0 + LEASE + 1);
        expect(await store.nextWakeAt('write')).toBe(T0 + 2 * LEASE);
        expect(await store.nextWakeAt()).toBe(T0 + LEASE + 1);
        expect(await claimLane('read', 'w2', T0 + LEASE)).toEqual([]);
        expect(ids(await claimLane('read', 'w2', T0 + LEASE + 1, 1))).toEqual(['poll-1']);
      });

      it('nextWakeAt(lane) is the wakeAt of a free onboarding due before the lease of an earlier one ends', async () => {
        await submitIn([
          ['poll-1', 'verificationPending', T0],
          ['poll-2', 'verificationPending', T0 + 100],
          ['user', 'userCreated', T0 + 50],
        ]);
        await claimLane('read', 'w1', T0, 1);
        expect(await store.nextWakeAt('read')).toBe(T0 + 100);
        // Both leased: the lease that ends first.
        await claimLane('read', 'w1', T0 + 100, 1);
        expect(await store.nextWakeAt('read')).toBe(T0 + LEASE + 1);
      });

      it('a lane the port does not know is refused, not answered with nothing', async () => {
        await submitIn([['ada', 'policyPending', T0]]);
        const unknown = 'documents' as Lane;
        await expect(claimLane(unknown, 'w1')).rejects.toThrow(/unknown lane documents/);
        await expect(store.nextWakeAt(unknown)).rejects.toThrow(/unknown lane documents/);
      });
    });

    describe('commit', () => {
      it('a stale expectedVersion is not committed: row unchanged, journal not appended', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1');
        const before = await store.get('u0');
        const results = await store.commit([transition(row!, { expectedVersion: row!.version - 1 })]);
        expect(results).toEqual([{ userId: 'u0', committed: false }]);
        expect(await store.get('u0')).toEqual(before);
        expect(await store.journal('u0')).toEqual([]);
      });

      it('in one batch, a stale transition between committed ones leaves its row and journal alone, and theirs whole', async () => {
        await seed([T0, T0, T0]);
        const rows = await claimAll('w1');
        const steps = (userId: string) => [entry(userId, T0, 'E1'), entry(userId, T0 + 1, 'E2', 'd2')];
        const stale = rows[1]!;
        const before = await store.get(stale.userId);
        const results = await store.commit(
          rows.map((row) =>
            transition(row, {
              journal: steps(row.userId),
              ...(row === stale && { expectedVersion: row.version - 1 }),
            }),
          ),
        );
        expect(results.map((r) => r.committed)).toEqual([true, false, true]);
        expect(await store.get(stale.userId)).toEqual(before);
        expect(await store.journal(stale.userId)).toEqual([]);
        for (const row of [rows[0]!, rows[2]!])
          expect(await store.journal(row.userId)).toEqual(steps(row.userId));
        expect((await store.countsByTransition()).reduce((n, t) => n + t.count, 0)).toBe(4);
      });

      it('a commit for an unknown user is not committed', async () => {
        const ghost = { userId: 'ghost', version: 1, state: 'userCreated' } as OnboardingRow;
        expect(await store.commit([transition(ghost)])).toEqual([{ userId: 'ghost', committed: false }]);
        expect(await store.get('ghost')).toBeUndefined();
      });

      it('a successful commit increments the version and returns it', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1');
        const [result] = await store.commit([transition(row!)]);
        expect(result).toEqual({ userId: 'u0', committed: true, newVersion: row!.version + 1 });
        expect((await store.get('u0'))?.version).toBe(row!.version + 1);
      });

      it('persists state, snapshot, wakeAt, attempts, lastError, outcome and updatedAt', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1');
        const snapshot = { value: 'failed', context: { reason: 'invalid-data', list: [1, 2] } };
        await store.commit([
          transition(row!, {
            state: 'failed',
            snapshot,
            wakeAt: null,
            attempts: 3,
            lastError: 'invalid-data: kycData.email',
            outcome: 'rejected',
            now: T0 + 777,
          }),
        ]);
        expect(await store.get('u0')).toEqual({
          ...row!,
          state: 'failed',
          snapshot,
          version: row!.version + 1,
          wakeAt: null,
          attempts: 3,
          lastError: 'invalid-data: kycData.email',
          outcome: 'rejected',
          updatedAt: T0 + 777,
        });
      });

      it('commits many transitions in one call with a result per item, stale and fresh mixed', async () => {
        await seed([T0, T0, T0, T0]);
        const rows = await claimAll('w1');
        const results = await store.commit(
          rows.map((row, i) => transition(row, i % 2 === 0 ? {} : { expectedVersion: row.version + 5 })),
        );
        expect(results.map((r) => `${r.userId}:${r.committed}`)).toEqual([
          'u0:true',
          'u1:false',
          'u2:true',
          'u3:false',
        ]);
        expect((await store.get('u0'))?.state).toBe('userCreated');
        expect((await store.get('u1'))?.state).toBe('policyPending');
        expect(await store.journal('u1')).toEqual([]);
      });

      it('two transitions of one onboarding in one call apply in order, each against its version', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1');
        const results = await store.commit([
          transition(row!, { state: 'userCreated', releaseLease: false }),
          transition({ ...row!, version: row!.version + 1 }, { state: 'verificationPending' }),
          transition(row!, { state: 'failed' }),
        ]);
        expect(results.map((r) => r.committed)).toEqual([true, true, false]);
        expect((await store.get('u0'))?.state).toBe('verificationPending');
      });

      it('appends journal entries in order, with their details', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1');
        const first = transition(row!, {
          releaseLease: false,
          journal: [entry('u0', T0 + 1, 'E1'), entry('u0', T0 + 2, 'E2', 'rate-limited')],
        });
        const [r1] = await store.commit([first]);
        await store.commit([
          transition(
            { ...row!, version: r1!.newVersion! },
            { journal: [entry('u0', T0 + 3, 'E3', 'status 200')] },
          ),
        ]);
        expect(await store.journal('u0')).toEqual([
          entry('u0', T0 + 1, 'E1'),
          entry('u0', T0 + 2, 'E2', 'rate-limited'),
          entry('u0', T0 + 3, 'E3', 'status 200'),
        ]);
      });

      it('a checkpoint of many steps keeps every journal entry, in order, for each onboarding', async () => {
        await seed([T0, T0]);
        const rows = await claimAll('w1');
        const steps = (userId: string) =>
          Array.from({ length: 37 }, (_, n) =>
            entry(userId, T0 + n, `E${n}`, n % 3 === 0 ? `d${n}` : undefined),
          );
        const results = await store.commit(
          rows.map((row) => transition(row, { journal: steps(row.userId) })),
        );
        expect(results.map((r) => r.committed)).toEqual([true, true]);
        for (const row of rows) {
          expect(await store.journal(row.userId)).toEqual(steps(row.userId));
          expect((await store.get(row.userId))?.version).toBe(
            results.find((r) => r.userId === row.userId)?.newVersion,
          );
        }
      });

      it('releaseLease: true frees the lease for any worker', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1', T0);
        await store.commit([transition(row!, { wakeAt: T0, releaseLease: true })]);
        expect(ids(await claimAll('w2', T0 + 1))).toEqual(['u0']);
      });

      it('releaseLease: false keeps the lease', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1', T0);
        await store.commit([transition(row!, { wakeAt: T0, releaseLease: false })]);
        expect(await claimAll('w2', T0 + 1)).toEqual([]);
        expect(ids(await claimAll('w2', T0 + LEASE + 1))).toEqual(['u0']);
      });

      it('an empty commit does nothing', async () => {
        expect(await store.commit([])).toEqual([]);
      });
    });

    describe('reading', () => {
      it('get of an unknown user is undefined', async () => {
        expect(await store.get('nobody')).toBeUndefined();
      });

      it('journal(limit) gives the latest entries, oldest first; unknown users have none', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1');
        await store.commit([
          transition(row!, { journal: [1, 2, 3, 4, 5].map((n) => entry('u0', T0 + n, `E${n}`)) }),
        ]);
        expect((await store.journal('u0')).map((j) => j.event)).toEqual(['E1', 'E2', 'E3', 'E4', 'E5']);
        expect((await store.journal('u0', { limit: 2 })).map((j) => j.event)).toEqual(['E4', 'E5']);
        expect((await store.journal('u0', { limit: 50 })).map((j) => j.event)).toHaveLength(5);
        expect(await store.journal('nobody')).toEqual([]);
      });

      it('countsByState counts onboardings per state', async () => {
        expect(await store.countsByState()).toEqual({});
        await seed([T0, T0, T0]);
        const [row] = await store.claimDue({ now: T0, limit: 1, owner: 'w1', leaseMs: LEASE });
        await store.commit([transition(row!, { state: 'verified', outcome: 'verified', wakeAt: null })]);
        expect(await store.countsByState()).toEqual({ policyPending: 2, verified: 1 });
      });

      it('nextWakeAt is null for an empty store and ignores onboardings with a null wakeAt', async () => {
        expect(await store.nextWakeAt()).toBeNull();
        await seed([null, null]);
        expect(await store.nextWakeAt()).toBeNull();
        await submitOne(sampleRecord({ userId: 'late' }), T0 + 50);
        await submitOne(sampleRecord({ userId: 'early' }), T0 + 20);
        expect(await store.nextWakeAt()).toBe(T0 + 20);
      });

      it('nextWakeAt counts a leased onboarding from the end of its lease, when it becomes claimable', async () => {
        await seed([T0, T0 + 5 * LEASE]);
        await store.claimDue({ now: T0, limit: 1, owner: 'w1', leaseMs: LEASE });
        expect(await store.nextWakeAt()).toBe(T0 + LEASE + 1);
        expect(await store.claimDue({ now: T0 + LEASE, limit: 10, owner: 'w2', leaseMs: LEASE })).toEqual([]);
        expect(
          ids(await store.claimDue({ now: T0 + LEASE + 1, limit: 10, owner: 'w2', leaseMs: LEASE })),
        ).toEqual(['u0']);
      });

      it('nextWakeAt of a released onboarding is its wakeAt', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1', T0);
        await store.commit([transition(row!, { wakeAt: T0 + 9, releaseLease: true })]);
        expect(await store.nextWakeAt()).toBe(T0 + 9);
      });
    });

    describe('records', () => {
      it('loadRecord returns the submitted record, and undefined for an unknown user', async () => {
        const record = sampleRecord({ userId: 'alice' });
        await submitOne(record);
        expect(await store.loadRecord('alice')).toEqual(record);
        expect(await store.loadRecord('nobody')).toBeUndefined();
      });

      it('replaceRecord replaces the record and leaves the row untouched', async () => {
        await submitOne(sampleRecord({ userId: 'alice' }));
        const before = await store.get('alice');
        const supplied = sampleRecord({
          userId: 'alice',
          dueDiligence: { employmentStatus: 'employed', sourceOfFunds: 'salary' },
        });
        await store.replaceRecord('alice', supplied, T0 + 99);
        expect(await store.loadRecord('alice')).toEqual(supplied);
        expect(await store.get('alice')).toEqual(before);
        expect(await submitOne(supplied)).toEqual({ userId: 'alice', status: 'unchanged' });
      });

      it('replaceRecord of an unknown user is refused', async () => {
        await expect(store.replaceRecord('nobody', sampleRecord({ userId: 'nobody' }), T0)).rejects.toThrow(
          /nobody/,
        );
      });

      it('erasePersonalData removes the record but keeps the row and the journal', async () => {
        await seed([T0]);
        const [row] = await claimAll('w1');
        await store.commit([transition(row!, { state: 'verified', outcome: 'verified', wakeAt: null })]);
        const rowBefore = await store.get('u0');
        const journalBefore = await store.journal('u0');
        await store.erasePersonalData('u0');
        expect(await store.loadRecord('u0')).toBeUndefined();
        expect(await store.get('u0')).toEqual(rowBefore);
        expect(await store.journal('u0')).toEqual(journalBefore);
        expect(journalBefore).toHaveLength(1);
        await store.erasePersonalData('u0');
        await store.erasePersonalData('nobody');
      });

      it('after erasure the same record is a conflict, and with update: true it is stored again', async () => {
        const record = sampleRecord({ userId: 'alice' });
        await submitOne(record);
        await store.erasePersonalData('alice');
        expect(await submitOne(record)).toEqual({ userId: 'alice', status: 'conflict' });
        expect(await store.loadRecord('alice')).toBeUndefined();
        const [again] = await store.submit([sampleOnboarding(record)], { now: T0, update: true });
        expect(again).toEqual({ userId: 'alice', status: 'updated' });
        expect(await store.loadRecord('alice')).toEqual(record);
      });
    });

    describe('damaged rows', () => {
      const tamper = () => {
        if (subject.tamper === undefined) throw new Error('the store under test must provide tamper');
        return subject.tamper;
      };

      it('a row whose snapshot bytes are damaged is still claimed with the others, and get() still answers', async () => {
        await seed([T0, T0, T0]);
        await tamper().snapshot('u1');
        const claimed = await claimAll('w1');
        expect(ids(claimed).sort()).toEqual(['u0', 'u1', 'u2']);
        const damaged = claimed.find((r) => r.userId === 'u1')!;
        expect(damaged.snapshot).not.toEqual(sampleOnboarding(sampleRecord({ userId: 'u1' })).snapshot);
        expect((await store.get('u1'))?.userId).toBe('u1');
      });

      it("a record whose ciphertext is damaged fails loadRecord as that user's StoredRecordError, leaking nothing", async () => {
        await submitOne(canaryRecord('canary-1'));
        await submitOne(sampleRecord({ userId: 'alice' }));
        await tamper().record('canary-1');
        const error = await store.loadRecord('canary-1').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isStoredRecordError(error)).toBe(true);
        expect(error).toMatchObject({ problem: 'record-unreadable', userId: 'canary-1' });
        expect((error as Error).message).toMatch(/canary-1/);
        for (const secret of [CANARY.ssn, CANARY.email])
          expect((error as Error).message).not.toContain(secret);
        expect((await store.loadRecord('alice'))?.userId).toBe('alice');
      });

      it('loads asked for together (as a claim starts its onboardings) are each answered on their own', async () => {
        const users = ['alice', 'canary-1', 'bob', 'carol'];
        await store.submit(
          users.map((userId) =>
            sampleOnboarding(userId === 'canary-1' ? canaryRecord(userId) : sampleRecord({ userId })),
          ),
          { now: T0 },
        );
        await tamper().record('canary-1');
        const settled = await Promise.allSettled(
          [...users, 'nobody', 'alice'].map((userId) => store.loadRecord(userId)),
        );
        const answers = settled.map((s) =>
          s.status === 'fulfilled' ? (s.value?.userId ?? 'none') : (s.reason as { problem?: string }).problem,
        );
        expect(answers).toEqual(['alice', 'record-unreadable', 'bob', 'carol', 'none', 'alice']);
      });
    });

    describe('erasing a record with a commit', () => {
      it('a commit with eraseRecord deletes the record and its digest in the same transaction', async () => {
        const record = sampleRecord({ userId: 'alice' });
        await submitOne(record);
        const [row] = await claimAll('w1');
        const [result] = await store.commit([transition(row!, { state: 'failed', eraseRecord: true })]);
        expect(result?.committed).toBe(true);
        expect(await store.loadRecord('alice')).toBeUndefined();
        expect((await store.get('alice'))?.state).toBe('failed');
        // Like an erased record: the same record again is a conflict, or stored again with update.
        expect(await store.submit([sampleOnboarding(record)], { now: T0 })).toEqual([
          { userId: 'alice', status: 'conflict' },
        ]);
        expect(await store.submit([sampleOnboarding(record)], { now: T0, update: true })).toEqual([
          { userId: 'alice', status: 'updated' },
        ]);
        expect(await store.loadRecord('alice')).toEqual(record);
      });
    });

    // Registered only for encrypted adapters: for the others these tests would only show as skipped.
    if (kind.encrypted === true) {
      describe('encryption keys', () => {
        const reopen = (keys: string) => {
          if (subject.reopen === undefined)
            throw new Error('an encrypted store under test must provide reopen');
          return subject.reopen(keys);
        };

        it('reopened with another key under the same id, the store refuses to open, naming the id and no key', async () => {
          await submitOne(canaryRecord('canary-1'));
          const other = generateKey();
          const error = await reopen(`${subject.keyId}:${other}`).then(
            (s) => s,
            (e: unknown) => e,
          );
          expect(isKeyringMismatchError(error), String(error)).toBe(true);
          expect(error).toMatchObject({ problem: 'wrong-key', keyId: subject.keyId });
          for (const secret of [other, subject.key!, CANARY.ssn, CANARY.email]) {
            expect((error as Error).message).not.toContain(secret);
          }
          store = await reopen(`${subject.keyId}:${subject.key}`);
          expect((await store.loadRecord('canary-1'))?.kycData?.email).toBe(CANARY.email);
        });

        it('reopened without the key id its records use, the store refuses to open and says to add it back', async () => {
          await submitOne(sampleRecord({ userId: 'alice' }));
          await expect(reopen(`next:${generateKey()}`)).rejects.toMatchObject({
            problem: 'missing-key',
            keyId: subject.keyId,
            message: expect.stringMatching(new RegExp(`key id ${subject.keyId}, which .* does not contain`)),
          });
          // The rotation spelling (new key first, the old one kept) opens it.
          store = await reopen(`next:${generateKey()},${subject.keyId}:${subject.key}`);
          expect((await store.loadRecord('alice'))?.userId).toBe('alice');
        });

        it('an empty store opened with a new key remembers it: the next open with another key is refused', async () => {
          await expect(reopen(`${subject.keyId}:${generateKey()}`)).rejects.toMatchObject({
            problem: 'wrong-key',
          });
        });
      });
    }

    describe('outbox: writing events', () => {
      const claimEvents = (owner: string, now = T0 + 100_000, limit = 100) =>
        store.claimOutbox({ now, limit, owner, leaseMs: LEASE });
      /** Claims and delivers one event at a time, as one ordered deliverer would, until none is left. */
      const deliverAll = async (now = T0 + 100_000) => {
        const seen: ClaimedOutboxEvent[] = [];
        for (;;) {
          const events = await claimEvents('d', now, 1);
          if (events.length === 0) return described(seen);
          seen.push(...events);
          await store.settleOutbox(events.map((e) => ({ id: e.id, delivered: true, now })));
        }
      };
      const advance = async (userId: string, overrides: Partial<CommitTransition>) => {
        const row = await store.get(userId);
        const [result] = await store.commit([transition(row!, overrides)]);
        return result;
      };

      it('submit writes the event of an onboarding it creates, as event 1 of that user, due at once', async () => {
        const payload = outboxEvent('alice', 'submitted', T0 - 5);
        await store.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }), { outbox: payload })], {
          now: T0,
        });
        const claimed = await claimEvents('d1', T0);
        expect(claimed).toEqual([
          { ...payload, id: expect.stringMatching(/^evt_[1-9][0-9]*$/), seq: 1, createdAt: T0, attempts: 0 },
        ]);
      });

      it('submit writes no event for an onboarding it does not create: unchanged, conflict, updated or repeated', async () => {
        const alice = sampleRecord({ userId: 'alice' });
        const changed = sampleRecord({
          userId: 'alice',
          privacyPolicyAcceptedAt: '2026-02-02T00:00:00.000Z',
        });
        const withEvent = (record: InputRecord) =>
          sampleOnboarding(record, { outbox: outboxEvent(record.userId, 'submitted') });
        await store.submit([withEvent(alice)], { now: T0 });
        await store.submit([withEvent(alice)], { now: T0 + 1 });
        await store.submit([withEvent(changed)], { now: T0 + 2 });
        await store.submit([withEvent(changed)], { now: T0 + 3, update: true });
        const bob = sampleRecord({ userId: 'bob' });
        await store.submit([withEvent(bob), withEvent(bob)], { now: T0 + 4 });
        expect(await deliverAll()).toEqual(['alice#1:submitted', 'bob#1:submitted']);
        expect(await store.outboxStats()).toEqual({
          pending: 0,
          failed: 0,
          delivered: 2,
          oldestPendingAt: null,
        });
      });

      it("a committed transition writes its events numbered after its user's last, several in the order given", async () => {
        await store.submit(
          [
            sampleOnboarding(sampleRecord({ userId: 'alice' }), {
              outbox: outboxEvent('alice', 'submitted'),
            }),
          ],
          { now: T0 },
        );
        await advance('alice', { state: 'requiresData', outbox: [outboxEvent('alice', 'requiresData')] });
        await advance('alice', {
          state: 'verified',
          outcome: 'verified',
          outbox: [outboxEvent('alice', 'failed', T0 + 20), outboxEvent('alice', 'verified', T0 + 20)],
          now: T0 + 20,
        });
        // A user submitted without an event starts at 1 with its first transition's.
        await submitOne(sampleRecord({ userId: 'bob' }));
        await advance('bob', { outbox: [outboxEvent('bob', 'rejected')] });
        expect(await deliverAll()).toEqual([
          'alice#1:submitted',
          'alice#2:requiresData',
          'alice#3:failed',
          'alice#4:verified',
          'bob#1:rejected',
        ]);
      });

      it("an event's createdAt is its transition's now, and the payload comes back as written", async () => {
        await submitOne(sampleRecord({ userId: 'alice' }));
        const payload = outboxEvent('alice', 'verified', T0 + 30, {
          eligibility: [
            { type: 'offramp', status: 'verified' },
            { type: 'onramp', status: 'rejected' },
          ],
        });
        await advance('alice', { outbox: [payload], now: T0 + 31 });
        const [claimed] = await claimEvents('d1', T0 + 31);
        expect(claimed).toEqual({ ...payload, id: claimed!.id, seq: 1, createdAt: T0 + 31, attempts: 0 });
        expect(await claimEvents('d2', T0 + 30)).toEqual([]);
      });

      it('a stale commit writes no event, nor a commit for an unknown user: an event exists only if its transition committed', async () => {
        await seed([T0]);
        const [stale] = await claimAll('w1');
        const [fresh] = await claimAll('w2', T0 + 100_000 + LEASE + 1);
        const ghost = { userId: 'ghost', version: 1, state: 'userCreated' } as OnboardingRow;
        const results = await store.commit([
          transition(stale!, { outbox: [outboxEvent('u0', 'failed')] }),
          transition(ghost, { outbox: [outboxEvent('ghost', 'failed')] }),
        ]);
        expect(results.map((r) => r.committed)).toEqual([false, false]);
        expect(await store.outboxStats()).toEqual({
          pending: 0,
          failed: 0,
          delivered: 0,
          oldestPendingAt: null,
        });
        expect(await store.nextOutboxAt()).toBeNull();
        const [ok] = await store.commit([transition(fresh!, { outbox: [outboxEvent('u0', 'verified')] })]);
        expect(ok?.committed).toBe(true);
        expect(await deliverAll()).toEqual(['u0#1:verified']);
      });

      it('in one call, only the transitions that commit write events, each user numbering its own', async () => {
        await store.submit(
          ['a', 'b', 'c'].map((userId) =>
            sampleOnboarding(sampleRecord({ userId }), { outbox: outboxEvent(userId, 'submitted') }),
          ),
          { now: T0 },
        );
        const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((u) => store.get(u)));
        const results = await store.commit([
          transition(a!, { releaseLease: false, outbox: [outboxEvent('a', 'requiresData')] }),
          transition(b!, { outbox: [outboxEvent('b', 'requiresData'), outboxEvent('b', 'verified')] }),
          transition(c!, { expectedVersion: c!.version + 3, outbox: [outboxEvent('c', 'failed')] }),
          // a's second transition of the call, against the version its first produced.
          transition({ ...a!, version: a!.version + 1 }, { outbox: [outboxEvent('a', 'verified')] }),
          // …and a stale one of a.
          transition(a!, { outbox: [outboxEvent('a', 'rejected')] }),
        ]);
        expect(results.map((r) => r.committed)).toEqual([true, true, false, true, false]);
        expect(await deliverAll()).toEqual([
          'a#1:submitted',
          'b#1:submitted',
          'c#1:submitted',
          'a#2:requiresData',
          'b#2:requiresData',
          'b#3:verified',
          'a#3:verified',
        ]);
      });

      it('event ids are evt_<n>, unique, and increase in the order the events were written', async () => {
        await store.submit(
          ['x', 'y'].map((userId) =>
            sampleOnboarding(sampleRecord({ userId }), { outbox: outboxEvent(userId, 'submitted') }),
          ),
          { now: T0 },
        );
        await advance('y', { outbox: [outboxEvent('y', 'requiresData')] });
        await advance('x', { outbox: [outboxEvent('x', 'verified')] });
        const events: ClaimedOutboxEvent[] = [];
        for (let round = 0; round < 3; round++) {
          const claimed = await claimEvents(`d${round}`);
          events.push(...claimed);
          await store.settleOutbox(claimed.map((e) => ({ id: e.id, delivered: true, now: T0 })));
        }
        expect(described(events)).toEqual([
          'x#1:submitted',
          'y#1:submitted',
          'y#2:requiresData',
          'x#2:verified',
        ]);
        const numbers = events.map((e) => Number(/^evt_([0-9]+)$/.exec(e.id)?.[1]));
        expect(numbers.every((n) => Number.isSafeInteger(n) && n > 0)).toBe(true);
        expect(numbers).toEqual([...numbers].sort((p, q) => p - q));
        expect(new Set(numbers).size).toBe(4);
      });

      it('an event naming another user is refused, and nothing of that call is written', async () => {
        await expect(
          store.submit(
            [
              sampleOnboarding(sampleRecord({ userId: 'alice' }), {
                outbox: outboxEvent('alice', 'submitted'),
              }),
              sampleOnboarding(sampleRecord({ userId: 'bob' }), {
                outbox: outboxEvent('carol', 'submitted'),
              }),
            ],
            { now: T0 },
          ),
        ).rejects.toThrow(/carol/);
        expect(await store.get('alice')).toBeUndefined();
        await submitOne(sampleRecord({ userId: 'alice' }));
        const row = await store.get('alice');
        await expect(
          store.commit([
            transition(row!, {
              outbox: [outboxEvent('alice', 'verified'), outboxEvent('mallory', 'verified')],
            }),
          ]),
        ).rejects.toThrow(/mallory/);
        expect(await store.get('alice')).toEqual(row);
        expect(await store.outboxStats()).toEqual({
          pending: 0,
          failed: 0,
          delivered: 0,
          oldestPendingAt: null,
        });
      });
    });

    describe('outbox: claiming in order', () => {
      const claimEvents = (owner: string, now = T0 + 100_000, limit = 100) =>
        store.claimOutbox({ now, limit, owner, leaseMs: LEASE });
      /** alice: events 1 (submitted) and 2 (verified); bob: event 1 (submitted), written in between. */
      const twoUsers = async () => {
        await store.submit(
          [
            sampleOnboarding(sampleRecord({ userId: 'alice' }), {
              outbox: outboxEvent('alice', 'submitted'),
            }),
          ],
          { now: T0 },
        );
        await store.submit(
          [sampleOnboarding(sampleRecord({ userId: 'bob' }), { outbox: outboxEvent('bob', 'submitted') })],
          { now: T0 + 1 },
        );
        const alice = await store.get('alice');
        await store.commit([transition(alice!, { outbox: [outboxEvent('alice', 'verified')], now: T0 + 2 })]);
      };

      it("a user's later event is not claimable while an earlier one is pending, even leased; it is once that one is delivered", async () => {
        await twoUsers();
        const first = await claimEvents('d1');
        expect(described(first)).toEqual(['alice#1:submitted', 'bob#1:submitted']);
        expect(await claimEvents('d2')).toEqual([]);
        await store.settleOutbox([{ id: first[0]!.id, delivered: true, now: T0 + 100_000 }]);
        expect(described(await claimEvents('d2'))).toEqual(['alice#2:verified']);
      });

      it('a failed earlier event does not hold back the later ones of its user', async () => {
        await twoUsers();
        const [alice1] = await claimEvents('d1', T0 + 100_000, 1);
        await store.settleOutbox([
          {
            id: alice1!.id,
            delivered: false,
            retryAt: null,
            error: 'http-410 from receiver',
            now: T0 + 100_000,
          },
        ]);
        expect(described(await claimEvents('d2'))).toEqual(['bob#1:submitted', 'alice#2:verified']);
      });

      it('an event to retry is not claimed before its retryAt, and the later events of its user wait for it', async () => {
        await twoUsers();
        const [alice1] = await claimEvents('d1', T0 + 10, 1);
        await store.settleOutbox([
          {
            id: alice1!.id,
            delivered: false,
            retryAt: T0 + 500,
            error: 'timeout after 10000 ms',
            now: T0 + 10,
          },
        ]);
        expect(described(await claimEvents('d2', T0 + 499))).toEqual(['bob#1:submitted']);
        const retried = await claimEvents('d3', T0 + 500);
        expect(described(retried)).toEqual(['alice#1:submitted']);
        expect(retried[0]).toMatchObject({ id: alice1!.id, attempts: 1 });
      });

      it('claims due events oldest first, at most limit, and one event per user at a time', async () => {
        await store.submit(
          ['c', 'a', 'b', 'd'].map((userId) =>
            sampleOnboarding(sampleRecord({ userId }), { outbox: outboxEvent(userId, 'submitted') }),
          ),
          { now: T0 },
        );
        const c = await store.get('c');
        await store.commit([transition(c!, { outbox: [outboxEvent('c', 'verified')], now: T0 + 5 })]);
        await submitOne(sampleRecord({ userId: 'later' }));
        const later = await store.get('later');
        await store.commit([transition(later!, { outbox: [outboxEvent('later', 'failed')], now: T0 + 50 })]);
        expect(await claimEvents('d0', T0 + 100, 0)).toEqual([]);
        expect(described(await claimEvents('d1', T0 + 10, 2))).toEqual(['c#1:submitted', 'a#1:submitted']);
        // later's event is not due before T0 + 50; c's second waits for its first.
        expect(described(await claimEvents('d2', T0 + 10, 10))).toEqual(['b#1:submitted', 'd#1:submitted']);
        expect(described(await claimEvents('d3', T0 + 50, 10))).toEqual(['later#1:failed']);
      });

      it('a live lease blocks every claimer, its owner too; once expired (now > expiry) the event is claimed again', async () => {
        await store.submit(
          [
            sampleOnboarding(sampleRecord({ userId: 'alice' }), {
              outbox: outboxEvent('alice', 'submitted'),
            }),
          ],
          { now: T0 },
        );
        const [held] = await claimEvents('d1', T0);
        expect(await claimEvents('d1', T0 + 1)).toEqual([]);
        expect(await claimEvents('d2', T0 + LEASE)).toEqual([]);
        const [taken] = await claimEvents('d2', T0 + LEASE + 1);
        // The same event, the same webhook id; a lease that merely ran out is no failed attempt.
        expect(taken).toEqual(held);
      });

      it('claimers taking turns never get the same event, and between them get every one', async () => {
        await store.submit(
          Array.from({ length: 30 }, (_, i) =>
            sampleOnboarding(sampleRecord({ userId: `u${i}` }), {
              outbox: outboxEvent(`u${i}`, 'submitted'),
            }),
          ),
          { now: T0 },
        );
        const got: string[] = [];
        for (let round = 0; round < 12; round++)
          got.push(...(await claimEvents(`d${round % 3}`, T0 + round, 4)).map((e) => e.id));
        expect(got).toHaveLength(30);
        expect(new Set(got).size).toBe(30);
      });

      it('the lane of a claim is ignored: every due event comes', async () => {
        await twoUsers();
        for (const lane of ['read', 'write', 'documents'] as Lane[])
          expect(
            described(
              await store.claimOutbox({ now: T0 + 100, limit: 10, owner: `d-${lane}`, leaseMs: 1, lane }),
            ),
          ).toEqual(lane === 'read' ? ['alice#1:submitted', 'bob#1:submitted'] : []);
      });
    });

    describe('outbox: settling, stats, replay', () => {
      const claimEvents = (owner: string, now = T0 + 100_000, limit = 100) =>
        store.claimOutbox({ now, limit, owner, leaseMs: LEASE });
      const submitWithEvents = (userIds: readonly string[], now = T0) =>
        store.submit(
          userIds.map((userId) =>
            sampleOnboarding(sampleRecord({ userId }), { outbox: outboxEvent(userId, 'submitted', now) }),
          ),
          { now },
        );

      it('a delivered event is never claimed again and counts as delivered', async () => {
        await submitWithEvents(['alice']);
        const [event] = await claimEvents('d1', T0);
        await store.settleOutbox([{ id: event!.id, delivered: true, now: T0 + 1 }]);
        expect(await claimEvents('d2', T0 + 10 * LEASE)).toEqual([]);
        expect(await store.outboxStats()).toEqual({
          pending: 0,
          failed: 0,
          delivered: 1,
          oldestPendingAt: null,
        });
        expect(await store.nextOutboxAt()).toBeNull();
      });

      it('a failed delivery with a retryAt is tried again then, its lease gone and attempts counted', async () => {
        await submitWithEvents(['alice']);
        const [first] = await claimEvents('d1', T0);
        // retryAt before the lease would have ended: the settle frees the event.
        await store.settleOutbox([
          { id: first!.id, delivered: false, retryAt: T0 + 5, error: 'status 503', now: T0 + 1 },
        ]);
        expect(await store.nextOutboxAt()).toBe(T0 + 5);
        expect(await claimEvents('d2', T0 + 4)).toEqual([]);
        const [second] = await claimEvents('d2', T0 + 5);
        expect(second).toEqual({ ...first!, attempts: 1 });
        await store.settleOutbox([
          { id: second!.id, delivered: false, retryAt: T0 + 9, error: 'status 502', now: T0 + 6 },
        ]);
        expect((await claimEvents('d3', T0 + 9))[0]?.attempts).toBe(2);
        expect(await store.outboxStats()).toEqual({
          pending: 1,
          failed: 0,
          delivered: 0,
          oldestPendingAt: T0,
        });
      });

      it('a failed delivery without a retryAt fails the event for good: never claimed again, counted failed', async () => {
        await submitWithEvents(['alice', 'bob']);
        const [alice] = await claimEvents('d1', T0, 1);
        await store.settleOutbox([
          { id: alice!.id, delivered: false, retryAt: null, error: 'gave up after 3 days', now: T0 + 1 },
        ]);
        const [bob] = await claimEvents('d2', T0 + 10 * LEASE);
        expect(bob?.userId).toBe('bob');
        await store.settleOutbox([{ id: bob!.id, delivered: true, now: T0 + 10 * LEASE }]);
        expect(await claimEvents('d3', T0 + 100 * LEASE)).toEqual([]);
        expect(await store.outboxStats()).toEqual({
          pending: 0,
          failed: 1,
          delivered: 1,
          oldestPendingAt: null,
        });
      });

      it('a failure reported after a delivery undoes nothing; a second delivery report changes nothing', async () => {
        await submitWithEvents(['alice']);
        const [event] = await claimEvents('d1', T0);
        // d1's lease ran out, d2 delivered, then d1 reports its failure late.
        await store.settleOutbox([{ id: event!.id, delivered: true, now: T0 + LEASE + 2 }]);
        await store.settleOutbox([
          {
            id: event!.id,
            delivered: false,
            retryAt: T0 + LEASE + 3,
            error: 'status 500',
            now: T0 + LEASE + 3,
          },
          { id: event!.id, delivered: false, retryAt: null, error: 'status 500', now: T0 + LEASE + 3 },
          { id: event!.id, delivered: true, now: T0 + LEASE + 4 },
        ]);
        expect(await store.outboxStats()).toEqual({
          pending: 0,
          failed: 0,
          delivered: 1,
          oldestPendingAt: null,
        });
        expect(await claimEvents('d3')).toEqual([]);
      });

      it('settling nothing or an event that does not exist is harmless; an id that is no event id is refused', async () => {
        await submitWithEvents(['alice']);
        await store.settleOutbox([]);
        await store.settleOutbox([{ id: 'evt_987654', delivered: true, now: T0 }]);
        await expect(store.settleOutbox([{ id: 'alice', delivered: true, now: T0 }])).rejects.toThrow(
          /not an outbox event id/,
        );
        expect(await store.outboxStats()).toEqual({
          pending: 1,
          failed: 0,
          delivered: 0,
          oldestPendingAt: T0,
        });
      });

      it('outboxStats counts events by status, with the createdAt of the oldest pending one', async () => {
        expect(await store.outboxStats()).toEqual({
          pending: 0,
          failed: 0,
          delivered: 0,
          oldestPendingAt: null,
        });
        await submitWithEvents(['a', 'b'], T0);
        await submitWithEvents(['c', 'd'], T0 + 7);
        const [a, b] = await claimEvents('d1', T0 + 10, 2);
        await store.settleOutbox([
          { id: a!.id, delivered: true, now: T0 + 11 },
          { id: b!.id, delivered: false, retryAt: null, error: 'status 410', now: T0 + 11 },
        ]);
        // A leased event is still pending.
        await claimEvents('d2', T0 + 12, 1);
        expect(await store.outboxStats()).toEqual({
          pending: 2,
          failed: 1,
          delivered: 1,
          oldestPendingAt: T0 + 7,
        });
      });

      it('replayOutbox sends every event created since again: pending, due at now, attempts 0, lease gone', async () => {
        await submitWithEvents(['old'], T0);
        await submitWithEvents(['a', 'b', 'c'], T0 + 100);
        const a = await store.get('a');
        await store.commit([transition(a!, { outbox: [outboxEvent('a', 'verified')], now: T0 + 200 })]);
        // old and a#1 delivered, b failed after two attempts, c leased, a#2 pending.
        const first = await claimEvents('d1', T0 + 300, 3);
        expect(described(first)).toEqual(['old#1:submitted', 'a#1:submitted', 'b#1:submitted']);
        await store.settleOutbox([
          { id: first[0]!.id, delivered: true, now: T0 + 301 },
          { id: first[1]!.id, delivered: true, now: T0 + 301 },
          { id: first[2]!.id, delivered: false, retryAt: T0 + 302, error: 'status 500', now: T0 + 301 },
        ]);
        const [b] = await claimEvents('d1', T0 + 302, 1);
        await store.settleOutbox([
          { id: b!.id, delivered: false, retryAt: null, error: 'status 500', now: T0 + 303 },
        ]);
        expect(described(await claimEvents('d1', T0 + 304, 1))).toEqual(['c#1:submitted']);

        expect(await store.replayOutbox({ since: T0 + 100, now: T0 + 1_000 })).toBe(4);
        expect(await store.outboxStats()).toEqual({
          pending: 4,
          failed: 0,
          delivered: 1,
          oldestPendingAt: T0 + 100,
        });
        expect(await store.nextOutboxAt()).toBe(T0 + 1_000);
        expect(await claimEvents('d2', T0 + 999)).toEqual([]);
        const again = await claimEvents('d2', T0 + 1_000);
        // In order again: a's second waits for its first; every one as if never tried.
        expect(described(again)).toEqual(['a#1:submitted', 'b#1:submitted', 'c#1:submitted']);
        expect(again.map((e) => e.attempts)).toEqual([0, 0, 0]);
        expect(await store.replayOutbox({ since: T0 + 10_000, now: T0 + 1_000 })).toBe(0);
      });

      it('nextOutboxAt is when a claim could next get an event: a free one when due, a leased one after its lease', async () => {
        expect(await store.nextOutboxAt()).toBeNull();
        await submitWithEvents(['a'], T0 + 40);
        await submitWithEvents(['b'], T0 + 20);
        expect(await store.nextOutboxAt()).toBe(T0 + 20);
        await claimEvents('d1', T0 + 20, 1);
        expect(await store.nextOutboxAt()).toBe(T0 + 40);
        await claimEvents('d1', T0 + 40, 1);
        expect(await store.nextOutboxAt()).toBe(T0 + 20 + LEASE + 1);
        expect(await claimEvents('d2', T0 + 20 + LEASE)).toEqual([]);
        expect(described(await claimEvents('d2', T0 + 20 + LEASE + 1))).toEqual(['b#1:submitted']);
      });

      it("nextOutboxAt does not count an event waiting behind its user's earlier one, however early it is due", async () => {
        await submitWithEvents(['alice'], T0);
        const [first] = await claimEvents('d1', T0);
        const alice = await store.get('alice');
        await store.commit([transition(alice!, { outbox: [outboxEvent('alice', 'verified')], now: T0 + 1 })]);
        await store.settleOutbox([
          { id: first!.id, delivered: false, retryAt: T0 + 60_000, error: 'status 503', now: T0 + 2 },
        ]);
        // alice#2 is due since T0 + 1 but cannot go before alice#1, retried at T0 + 60 s.
        expect(await store.nextOutboxAt()).toBe(T0 + 60_000);
        await store.settleOutbox([
          { id: first!.id, delivered: false, retryAt: null, error: 'status 503', now: T0 + 3 },
        ]);
        expect(await store.nextOutboxAt()).toBe(T0 + 1);
      });
    });

    describe('list', () => {
      /** Submits `userId` in `state` at T0, then commits it at `updatedAt` with the given fields. */
      const place = async (
        userId: string,
        state: TopLevelState,
        fields: { updatedAt?: number; outcome?: Outcome; lastError?: string; context?: unknown } = {},
      ) => {
        await store.submit([sampleOnboarding(sampleRecord({ userId }), { state, wakeAt: null })], {
          now: T0,
        });
        if (Object.keys(fields).length === 0) return;
        const row = await store.get(userId);
        await store.commit([
          transition(row!, {
            state,
            snapshot: { value: state, context: fields.context ?? { userId } },
            wakeAt: null,
            outcome: fields.outcome ?? null,
            lastError: fields.lastError ?? null,
            now: fields.updatedAt ?? T0,
          }),
        ]);
      };
      const page = async (options: Parameters<OnboardingStore['list']>[0]) => ids(await store.list(options));
      /** Every page of `options` after one another, `limit` at a time. */
      const allPages = async (
        options: Omit<Parameters<OnboardingStore['list']>[0], 'limit'>,
        limit: number,
      ) => {
        const seen: string[] = [];
        let after = options.after;
        for (;;) {
          const rows = await store.list({ ...options, after, limit });
          if (rows.length === 0) return seen;
          expect(rows.length).toBeLessThanOrEqual(limit);
          seen.push(...ids(rows));
          after = rows.at(-1)!.userId;
        }
      };

      it('gives the rows as get gives them, in user id order, a page after `after` at a time', async () => {
        expect(await store.list({ limit: 10 })).toEqual([]);
        for (const userId of ['m', 'b', 'z', 'a', 'k']) await submitOne(sampleRecord({ userId }));
        const first = await store.list({ limit: 2 });
        expect(first).toEqual([await store.get('a'), await store.get('b')]);
        expect(await page({ after: 'b', limit: 2 })).toEqual(['k', 'm']);
        expect(await page({ after: 'c', limit: 10 })).toEqual(['k', 'm', 'z']);
        expect(await page({ after: 'z', limit: 10 })).toEqual([]);
        expect(await page({ limit: 0 })).toEqual([]);
        expect(await page({ limit: 1e9 })).toEqual(['a', 'b', 'k', 'm', 'z']);
      });

      it('pages give every row exactly once while rows are updated and added meanwhile', async () => {
        const users = Array.from({ length: 25 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
        await store.submit(
          users.map((userId) => sampleOnboarding(sampleRecord({ userId }))),
          { now: T0 },
        );
        const seen: string[] = [];
        let after: string | undefined;
        for (let round = 0; ; round++) {
          const rows = await store.list({ after, limit: 4 });
          if (rows.length === 0) break;
          seen.push(...ids(rows));
          after = rows.at(-1)!.userId;
          if (round >= 10) continue;
          // Meanwhile: a row already read and a row still to come move on, and new users arrive,
          // one sorting before the cursor and one after every row.
          const moved = await Promise.all(
            [users[round]!, users[24 - round]!].map((u) => store.get(u).then((r) => r!)),
          );
          await store.commit(
            moved.map((row) => transition(row, { state: 'verificationPending', now: T0 + 100 + round })),
          );
          await submitOne(sampleRecord({ userId: `aaa-${round}` }));
          await submitOne(sampleRecord({ userId: `zzz-${round}` }));
        }
        // Every original row exactly once, in order; of the new ones, those after the cursor.
        expect(seen.filter((u) => users.includes(u))).toEqual(users);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toEqual([...seen].sort());
        expect(seen.filter((u) => !users.includes(u))).toEqual(
          Array.from({ length: 10 }, (_, round) => `zzz-${round}`),
        );
      });

      it('states: rows in any of the given states, in user id order across them; no state, no row', async () => {
        await place('a1', 'verified', { outcome: 'verified' });
        await place('a2', 'requiresData');
        await place('a3', 'policyPending');
        await place('b1', 'requiresData');
        await place('b2', 'verified', { outcome: 'verified' });
        await place('b3', 'failed');
        await place('c1', 'verified', { outcome: 'verified' });
        expect(await page({ states: ['requiresData'], limit: 10 })).toEqual(['a2', 'b1']);
        expect(await page({ states: ['verified', 'requiresData'], limit: 10 })).toEqual([
          'a1',
          'a2',
          'b1',
          'b2',
          'c1',
        ]);
        expect(await allPages({ states: ['verified', 'failed', 'requiresData'] }, 2)).toEqual([
          'a1',
          'a2',
          'b1',
          'b2',
          'b3',
          'c1',
        ]);
        expect(await page({ states: ['verified', 'verified'], after: 'a1', limit: 1 })).toEqual(['b2']);
        expect(await page({ states: ['rejected'], limit: 10 })).toEqual([]);
        expect(await page({ states: [], limit: 10 })).toEqual([]);
      });

      it('outcome: only the rows that ended so', async () => {
        await place('v1', 'verified', { outcome: 'verified' });
        await place('r1', 'rejected', { outcome: 'rejected' });
        await place('p1', 'policyPending');
        await place('v2', 'verified', { outcome: 'verified' });
        expect(await page({ outcome: 'verified', limit: 10 })).toEqual(['v1', 'v2']);
        expect(await allPages({ outcome: 'verified' }, 1)).toEqual(['v1', 'v2']);
        expect(await page({ outcome: 'rejected', limit: 10 })).toEqual(['r1']);
      });

      it('changedSince: only rows updated at or after it', async () => {
        await place('early', 'userCreated', { updatedAt: T0 + 10 });
        await place('exact', 'userCreated', { updatedAt: T0 + 20 });
        await place('late', 'userCreated', { updatedAt: T0 + 30 });
        await place('untouched', 'policyPending');
        expect(await page({ changedSince: T0 + 20, limit: 10 })).toEqual(['exact', 'late']);
        expect(await allPages({ changedSince: T0 + 1 }, 1)).toEqual(['early', 'exact', 'late']);
        expect(await page({ changedSince: T0, limit: 10 })).toEqual(['early', 'exact', 'late', 'untouched']);
        expect(await page({ changedSince: T0 + 31, limit: 10 })).toEqual([]);
      });

      it('filters combine: every one given must hold', async () => {
        await place('a', 'verified', { outcome: 'verified', updatedAt: T0 + 50 });
        await place('b', 'verified', { outcome: 'verified', updatedAt: T0 + 5 });
        await place('c', 'rejected', { outcome: 'rejected', updatedAt: T0 + 50 });
        await place('d', 'failed', { updatedAt: T0 + 50 });
        await place('e', 'verified', { outcome: 'verified', updatedAt: T0 + 60 });
        expect(await page({ states: ['verified', 'failed'], changedSince: T0 + 50, limit: 10 })).toEqual([
          'a',
          'd',
          'e',
        ]);
        expect(await page({ outcome: 'verified', changedSince: T0 + 50, after: 'a', limit: 10 })).toEqual([
          'e',
        ]);
        expect(await page({ states: ['failed', 'rejected'], outcome: 'rejected', limit: 10 })).toEqual(['c']);
        expect(
          await allPages({ states: ['verified', 'rejected'], outcome: 'verified', changedSince: T0 + 6 }, 1),
        ).toEqual(['a', 'e']);
      });
    });

    describe('counts for the console', () => {
      const place = async (
        userId: string,
        state: TopLevelState,
        lastError: string | null,
        context: unknown = {},
      ) => {
        await store.submit([sampleOnboarding(sampleRecord({ userId }), { state })], { now: T0 });
        const row = await store.get(userId);
        await store.commit([transition(row!, { state, lastError, snapshot: { value: state, context } })]);
      };

      it("countsByErrorKind counts the rows with a last error by the kind the machine recorded, never by the error's text", async () => {
        expect(await store.countsByErrorKind()).toEqual({});
        const failedWith = (kind: string, step: string, message: string) => ({
          lastError: { kind, step, message },
        });
        await place(
          'a',
          'userCreated',
          'transient in createUser: status 503',
          failedWith('transient', 'createUser', 'status 503'),
        );
        await place(
          'b',
          'policyPending',
          'the text says nothing',
          failedWith('transient', 'recordPolicy', 'timeout'),
        );
        await place(
          'c',
          'failed',
          'invalid-data in submitKyc: x',
          failedWith('invalid-data', 'submitKyc', 'x'),
        );
        // A last error whose snapshot records no kind (written by hand, or damaged) is `unknown`.
        await place('d', 'userCreated', 'rate-limited in trigger: 429', {});
        await place('e', 'verified', null, failedWith('transient', 'poll', 'an old error, cleared'));
        await submitOne(sampleRecord({ userId: 'f' }));
        expect(await store.countsByErrorKind()).toEqual({ transient: 2, 'invalid-data': 1, unknown: 1 });
      });

      it('countsByRequestedItem counts rows waiting for data by each item asked for', async () => {
        expect(await store.countsByRequestedItem()).toEqual({});
        const asked = (missingData: string[], missingDocuments: string[]) => ({
          userId: 'x',
          requested: { missingData, missingDocuments },
        });
        await place('a', 'requiresData', null, asked(['kyc-data', 'due-diligence'], ['id']));
        await place('b', 'requiresData', null, asked(['kyc-data'], []));
        await place('c', 'requiresData', null, asked([], ['id', 'selfie']));
        // A row repeating an item counts once for it.
        await place('d', 'requiresData', null, asked(['kyc-data', 'kyc-data'], []));
        // Only rows waiting for data count, whatever other rows still carry.
        await place('e', 'verified', null, asked(['kyc-data'], ['id']));
        await place('f', 'requiresData', null, { requested: null });
        await place('g', 'requiresData', null, {});
        expect(await store.countsByRequestedItem()).toEqual({
          'data:kyc-data': 3,
          'data:due-diligence': 1,
          'document:id': 2,
          'document:selfie': 1,
        });
      });
      it('countsByTransition counts committed journal entries by from, event and to; a stale commit counts nothing', async () => {
        expect(await store.countsByTransition()).toEqual([]);
        await seed([T0, T0, T0]);
        const rows = await claimAll('w1');
        const entry = (userId: string, from: string, event: string, to: string) => ({
          userId,
          at: T0 + 10,
          from,
          event,
          to,
        });
        await store.commit([
          transition(rows[0]!, {
            journal: [
              entry(rows[0]!.userId, 'policyPending', 'POLICY_RECORDED', 'userCreated'),
              entry(rows[0]!.userId, 'userCreated', 'USER_UPSERTED', 'verificationPending.triggering'),
            ],
          }),
          transition(rows[1]!, {
            journal: [entry(rows[1]!.userId, 'policyPending', 'POLICY_RECORDED', 'userCreated')],
          }),
          // Stale: a newer write won; its journal is not appended, so it is not counted either.
          transition(rows[2]!, {
            expectedVersion: rows[2]!.version + 3,
            journal: [entry(rows[2]!.userId, 'policyPending', 'STEP_FAILED', 'policyPending')],
          }),
        ]);
        // A later commit adds to the same counter rather than starting another.
        const again = await store.get(rows[1]!.userId);
        await store.commit([
          transition(again!, {
            journal: [
              entry(rows[1]!.userId, 'userCreated', 'USER_UPSERTED', 'verificationPending.triggering'),
            ],
          }),
        ]);
        const byKey = (counts: TransitionCount[]) =>
          [...counts].sort((a, b) => `${a.from}${a.event}`.localeCompare(`${b.from}${b.event}`));
        expect(byKey(await store.countsByTransition())).toEqual([
          { from: 'policyPending', event: 'POLICY_RECORDED', to: 'userCreated', count: 2 },
          { from: 'userCreated', event: 'USER_UPSERTED', to: 'verificationPending.triggering', count: 2 },
        ]);
      });
    });

    describe('personal data', () => {
      it('the canary SSN and email never appear in rows, claims, the journal or counts', async () => {
        const record = canaryRecord('canary-1');
        await submitOne(record);
        await store.submit([sampleOnboarding(record)], { now: T0, update: true });
        const claimed = await claimAll('w1');
        await store.commit([transition(claimed[0]!, { lastError: 'invalid-data: kycData.email' })]);
        const seen = JSON.stringify([
          claimed,
          await store.get('canary-1'),
          await store.journal('canary-1'),
          await store.countsByState(),
          await store.nextWakeAt(),
        ]);
        expect(seen).not.toContain(CANARY.ssn);
        expect(seen).not.toContain(CANARY.email);
        expect(seen).not.toContain('987654320');
        expect((await store.loadRecord('canary-1'))?.kycData?.email).toBe(CANARY.email);
      });

      it('the canary SSN and email never appear in outbox events, list pages or the counts', async () => {
        const record = canaryRecord('canary-1');
        await store.submit([sampleOnboarding(record, { outbox: outboxEvent('canary-1', 'submitted') })], {
          now: T0,
        });
        const [row] = await claimAll('w1');
        await store.commit([
          transition(row!, {
            state: 'requiresData',
            lastError: 'invalid-data in submitKyc: kycData.email is invalid',
            snapshot: {
              value: 'requiresData',
              context: { userId: 'canary-1', requested: { missingData: ['kyc-data'], missingDocuments: [] } },
            },
            outbox: [outboxEvent('canary-1', 'requiresData')],
          }),
        ]);
        const events = await store.claimOutbox({ now: T0 + 100_000, limit: 10, owner: 'd', leaseMs: LEASE });
        expect(events).toHaveLength(1);
        await store.settleOutbox([
          {
            id: events[0]!.id,
            delivered: false,
            retryAt: T0 + 100_001,
            error: 'status 500',
            now: T0 + 100_000,
          },
        ]);
        const seen = JSON.stringify([
          events,
          await store.claimOutbox({ now: T0 + 100_001, limit: 10, owner: 'd', leaseMs: LEASE }),
          await store.list({ limit: 10 }),
          await store.list({ states: ['requiresData'], limit: 10 }),
          await store.list({ changedSince: T0, limit: 10 }),
          await store.countsByErrorKind(),
          await store.countsByRequestedItem(),
          await store.outboxStats(),
        ]);
        for (const secret of [CANARY.ssn, CANARY.email, '987654320']) expect(seen).not.toContain(secret);
        expect(seen).toContain('canary-1');
      });
    });
  });
}
