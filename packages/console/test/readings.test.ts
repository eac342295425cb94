import type { OutboxStats } from '@kyc-handoff/core';
import type { Handoff, HandoffStats } from '@kyc-handoff/engine';
import { describe, expect, it, vi } from 'vitest';
import { createReadings, Reading } from '../src/readings.js';

/** A store aggregate whose answers the test releases one by one, and a clock the test moves. */
function world(costMs = 0) {
  let now = 0;
  let reads = 0;
  let fail = false;
  const reading = new Reading(
    async () => {
      reads++;
      now += costMs; // the read itself takes this long
      if (fail) throw new Error('store unavailable');
      return reads;
    },
    () => now,
  );
  return {
    reading,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
    failNext: (value: boolean) => {
      fail = value;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Reading: a console aggregate, stale-while-revalidate', () => {
  it('the first page waits for the store; the next ones within 2 s reuse the value without a read', async () => {
    const w = world();
    expect(await w.reading.get()).toBe(1);
    w.advance(1_999);
    expect(await w.reading.get()).toBe(1);
    expect(w.reads()).toBe(1);
  });

  it('an old value is answered at once while one refresh runs for the next page, however many pages ask', async () => {
    const w = world();
    await w.reading.get();
    w.advance(2_001);
    const pages = await Promise.all([w.reading.get(), w.reading.get(), w.reading.get()]);
    expect(pages).toEqual([1, 1, 1]);
    await settle();
    expect(w.reads()).toBe(2);
    expect(await w.reading.get()).toBe(2);
  });

  it('a costly read is reused ten times as long as it took: a 0.5 s count at most every 5 s', async () => {
    const w = world(500);
    await w.reading.get();
    w.advance(4_900);
    await w.reading.get();
    await settle();
    expect(w.reads()).toBe(1);
    w.advance(200);
    await w.reading.get();
    await settle();
    expect(w.reads()).toBe(2);
  });

  it('after an action the next page starts a refresh, so a retried user shows on the page after', async () => {
    const w = world();
    await w.reading.get();
    w.reading.invalidate();
    expect(await w.reading.get()).toBe(1);
    await settle();
    expect(await w.reading.get()).toBe(2);
  });

  it('a failed refresh keeps the last value and is tried again by a later page', async () => {
    const w = world();
    await w.reading.get();
    w.advance(2_001);
    w.failNext(true);
    expect(await w.reading.get()).toBe(1);
    await settle();
    w.failNext(false);
    expect(await w.reading.get()).toBe(1);
    await settle();
    expect(await w.reading.get()).toBe(3);
  });

  it("a first read that fails is the page's error, not a cached failure", async () => {
    const w = world();
    w.failNext(true);
    await expect(w.reading.get()).rejects.toThrow('store unavailable');
    w.failNext(false);
    expect(await w.reading.get()).toBe(2);
  });
});

describe('Readings.ready: the console announces itself once the first counts are in', () => {
  const handoffWith = (stats: () => Promise<HandoffStats>) =>
    ({
      stats,
      breakdown: async () => ({ errorKinds: {}, requestedItems: {} }),
      outbox: {
        stats: async (): Promise<OutboxStats> => ({
          pending: 0,
          failed: 0,
          delivered: 0,
          oldestPendingAt: null,
        }),
      },
    }) as unknown as Handoff;
  const store = { countsByTransition: async () => [] };

  it('resolves once every aggregate has been read, and the first page then needs no read', async () => {
    let reads = 0;
    const readings = createReadings(
      handoffWith(async () => {
        reads++;
        return { states: { verified: 1 } } as unknown as HandoffStats;
      }),
      store,
      { clock: () => 0 },
    );
    await readings.ready(10_000);
    expect(reads).toBe(1);
    expect((await readings.stats.get()).states).toEqual({ verified: 1 });
    expect(reads).toBe(1);
  });

  it('a store that does not answer holds the start back only until the timeout', async () => {
    vi.useFakeTimers();
    try {
      const readings = createReadings(
        handoffWith(() => new Promise<HandoffStats>(() => {})),
        store,
        { clock: () => 0 },
      );
      let done = false;
      const ready = readings.ready(10_000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(9_999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await ready;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
