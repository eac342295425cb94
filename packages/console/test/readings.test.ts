import { describe, expect, it } from 'vitest';
import { Reading } from '../src/readings.js';

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
