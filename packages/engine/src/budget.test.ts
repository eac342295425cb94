import { describe, expect, it } from 'vitest';
import { TokenBucket } from './budget.js';
import { VirtualClock } from './clock.js';

describe('TokenBucket', () => {
  it('reserves only what is there now (a burst of 2% of the limit), never waiting', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket('write', 600, clock);
    expect(await bucket.reserve(50)).toBe(12);
    expect(await bucket.reserve(1)).toBe(0);
    // 97% of 600 a minute: a token every 103 ms.
    expect(bucket.msUntilToken()).toBe(104);
    clock.advance(1_000);
    expect(await bucket.reserve(50)).toBe(9);
  });

  it('takes back what was reserved but not spent', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket('read', 600, clock);
    expect(await bucket.reserve(12)).toBe(12);
    bucket.giveBack(5);
    expect(bucket.snapshot().granted).toBe(7);
    expect(await bucket.reserve(12)).toBe(5);
  });

  it('after a 429 it grants nothing until the Retry-After, then at half the pace', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket('write', 120, clock);
    bucket.penalize(7_000);
    expect(await bucket.tryTake()).toBe(false);
    expect(bucket.msUntilToken()).toBe(7_000);
    clock.advance(7_000);
    expect(bucket.snapshot().pacePerMinute).toBeCloseTo(58.2);
    expect(await bucket.tryTake()).toBe(true);
  });

  it('unlimited grants whatever is asked', async () => {
    const bucket = new TokenBucket('read', Number.POSITIVE_INFINITY, new VirtualClock());
    expect(await bucket.reserve(10_000)).toBe(10_000);
    expect(bucket.msUntilToken()).toBe(0);
  });

  it('a shared source is asked for exactly what this worker lacks, and unspent tokens go back to it', async () => {
    const asks: number[] = [];
    const returned: number[] = [];
    const shared = {
      takeTokens: async (_lane: 'write' | 'read', want: number) => {
        asks.push(want);
        return { granted: Math.min(want, 2), left: 0.25 };
      },
      returnTokens: async (_lane: 'write' | 'read', count: number) => {
        returned.push(count);
      },
    };
    const bucket = new TokenBucket('write', 120, new VirtualClock(), shared);
    expect(await bucket.reserve(1)).toBe(1);
    expect(await bucket.reserve(3)).toBe(2);
    // Two reserved for a claim that found one due onboarding: the other goes back to the store,
    // not into a local credit that would come on top of the shared bucket's burst.
    bucket.giveBack(1);
    expect(asks).toEqual([1, 3]);
    expect(returned).toEqual([1]);
    expect(bucket.snapshot()).toMatchObject({ tokens: 0, granted: 2 });
  });
});
