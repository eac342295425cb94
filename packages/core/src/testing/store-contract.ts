import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKeyringMismatchError } from '../crypto/key-check.js';
import { generateKey } from '../crypto/keyring.js';
import type { TopLevelState } from '../machine/snapshot.js';
import {
  type CommitTransition,
  isStoredRecordError,
  type JournalEntry,
  type Lane,
  type OnboardingRow,
  type OnboardingStore,
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
 *   `conflict` (or `updated` with `update: true`, which stores it again).
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
    });
  });
}
