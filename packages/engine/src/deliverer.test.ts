import type { OutboxEvent, OutboxPayload } from '@kyc-handoff/core';
import { createMemoryStore, sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { type DeliveryHandler, startDelivery } from './deliverer.js';
import { silentLogger } from './logger.js';

const HOUR = 3_600_000;

const payload = (userId: string, type: OutboxPayload['type'], at: number): OutboxPayload => ({
  type,
  userId,
  state: type === 'submitted' ? 'policyPending' : 'verified',
  outcome: type === 'verified' ? 'verified' : null,
  eligibility: null,
  requested: null,
  failure: null,
  at,
});

/** A store with `users` onboardings, each with a submitted and a verified event. */
async function storeWithEvents(users: number, clock: VirtualClock) {
  const store = createMemoryStore();
  const now = clock.now();
  await store.submit(
    Array.from({ length: users }, (_, i) => {
      const record = sampleRecord({ userId: `d-${i}` });
      return { ...sampleOnboarding(record), outbox: payload(record.userId, 'submitted', now) };
    }),
    { now },
  );
  for (const row of await store.claimDue({ now, limit: users, owner: 'w', leaseMs: 1_000 })) {
    await store.commit([
      {
        userId: row.userId,
        expectedVersion: row.version,
        state: 'verified',
        snapshot: row.snapshot,
        wakeAt: null,
        attempts: 0,
        lastError: null,
        outcome: 'verified',
        journal: [],
        releaseLease: true,
        outbox: [payload(row.userId, 'verified', now)],
        now,
      },
    ]);
  }
  return store;
}

describe('startDelivery', () => {
  it('delivers every event once, in order per user, never more at once than its concurrency', async () => {
    const clock = new VirtualClock();
    const store = await storeWithEvents(10, clock);
    const seen: OutboxEvent[] = [];
    let active = 0;
    let most = 0;
    const handler: DeliveryHandler = async (event) => {
      active++;
      most = Math.max(most, active);
      // On the test's clock: a real timer would let the virtual one run past the drain's timeout.
      await clock.sleep(1);
      seen.push(event);
      active--;
    };
    const delivery = startDelivery({ store, clock, logger: silentLogger, owner: 'me' }, handler, {
      concurrency: 3,
    });
    expect(await delivery.drain({ timeoutMs: 60_000 })).toBe(true);
    await delivery.stop();
    expect(seen).toHaveLength(20);
    expect(new Set(seen.map((e) => e.id)).size).toBe(20);
    expect(most).toBeLessThanOrEqual(3);
    for (let i = 0; i < 10; i++) {
      expect(seen.filter((e) => e.userId === `d-${i}`).map((e) => e.type)).toEqual(['submitted', 'verified']);
    }
    expect(await store.outboxStats()).toMatchObject({ pending: 0, delivered: 20 });
  });

  it('retries a failing receiver with growing, jittered waits, and gives an event up after three days', async () => {
    const clock = new VirtualClock();
    const store = await storeWithEvents(1, clock);
    const attempts: number[] = [];
    const handler: DeliveryHandler = async () => {
      attempts.push(clock.now());
      throw new Error('the receiver answered 503');
    };
    const delivery = startDelivery(
      { store, clock, logger: silentLogger, owner: 'me', random: () => 0.5 },
      handler,
      // No other process writes to this store: an hourly sweep keeps three virtual days to a few
      // hundred turns of the loop instead of one every 5 s.
      { retryBaseMs: 10_000, retryMaxMs: HOUR, idleSweepMs: HOUR },
    );
    expect(await delivery.drain({ timeoutMs: 4 * 24 * HOUR })).toBe(true);
    await delivery.stop();
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    // 10 s doubling, 3/4 of it with this jitter, up to an hour.
    expect(gaps.slice(0, 3)).toEqual([7_500, 15_000, 30_000]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(HOUR);
    expect(attempts.at(-1)! - attempts[0]!).toBeGreaterThanOrEqual(3 * 24 * HOUR - HOUR);
    // The first event failed for good; the user's next one was delivered... never: it failed too.
    expect(await store.outboxStats()).toMatchObject({ pending: 0, failed: 2 });
  });

  it('a delivery that takes longer than its timeout is aborted and retried', async () => {
    const clock = new VirtualClock();
    const store = await storeWithEvents(1, clock);
    let calls = 0;
    const handler: DeliveryHandler = (_event, { signal }) =>
      new Promise<void>((resolve, reject) => {
        calls++;
        if (calls > 1) return resolve();
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    const delivery = startDelivery({ store, clock, logger: silentLogger, owner: 'me' }, handler, {
      timeoutMs: 50,
      retryBaseMs: 10,
    });
    expect(await delivery.drain({ timeoutMs: HOUR })).toBe(true);
    await delivery.stop();
    expect(calls).toBe(3);
    expect(await store.outboxStats()).toMatchObject({ delivered: 2, failed: 0 });
  });

  it('refuses options that cannot work', () => {
    const clock = new VirtualClock();
    const store = createMemoryStore();
    const deps = { store, clock, logger: silentLogger, owner: 'me' };
    expect(() => startDelivery(deps, async () => {}, { concurrency: 0 })).toThrow(
      /concurrency must be a whole number/,
    );
    expect(() => startDelivery(deps, async () => {}, { timeoutMs: Number.NaN })).toThrow(RangeError);
    expect(() => startDelivery(deps, async () => {}, { timeoutMs: 60_000, leaseMs: 30_000 })).toThrow(
      /leaseMs must be longer than timeoutMs/,
    );
  });
});
