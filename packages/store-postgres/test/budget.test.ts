import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SharedBudgetStore } from '../src/index.js';
import { freshSchemaName, postgresAvailable, storeFactory, T0 } from './__test-utils__/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store: shared rate budget (takeTokens)', () => {
  const factory = storeFactory();
  afterEach(() => factory.cleanup());
  afterAll(() => factory.end());
  const granted = async (grant: Promise<{ granted: number }>) => (await grant).granted;

  it('a new bucket starts full, grants what is there, and refills at perMinute up to burst', async () => {
    // The engine recognises a shared budget by this method.
    const store: SharedBudgetStore = await factory.open();
    // 60 per minute: one token per second; burst 10.
    expect(await granted(store.takeTokens('write', 4, T0, 60, 10))).toBe(4);
    expect(await granted(store.takeTokens('write', 10, T0, 60, 10))).toBe(6);
    expect(await granted(store.takeTokens('write', 1, T0 + 999, 60, 10))).toBe(0);
    // At 2.5 s, 2.5 tokens: two whole ones, and the half left over is kept and said.
    expect(await store.takeTokens('write', 5, T0 + 2_500, 60, 10)).toEqual({ granted: 2, left: 0.5 });
    expect(await store.takeTokens('write', 5, T0 + 3_000, 60, 10)).toEqual({ granted: 1, left: 0 });
    expect(await granted(store.takeTokens('write', 50, T0 + 600_000, 60, 10))).toBe(10);
  });

  it('the read and write buckets are separate, and a clock behind the bucket refills nothing', async () => {
    const store = await factory.open();
    expect(await granted(store.takeTokens('write', 3, T0, 60, 3))).toBe(3);
    expect(await granted(store.takeTokens('read', 3, T0, 60, 3))).toBe(3);
    expect(await granted(store.takeTokens('write', 1, T0 - 60_000, 60, 3))).toBe(0);
    expect(await granted(store.takeTokens('write', 1, T0 + 999, 60, 3))).toBe(0);
    expect(await granted(store.takeTokens('write', 1, T0 + 1_000, 60, 3))).toBe(1);
    expect(await granted(store.takeTokens('write', 0, T0 + 9_000, 60, 3))).toBe(0);
  });

  it('unspent tokens put back refill the bucket, never above its burst', async () => {
    const store = await factory.open();
    expect(await granted(store.takeTokens('write', 3, T0, 60, 3))).toBe(3);
    await store.returnTokens('write', 2, T0, 60, 3);
    expect(await store.takeTokens('write', 3, T0, 60, 3)).toEqual({ granted: 2, left: 0 });
    await store.returnTokens('write', 5, T0 + 500, 60, 3);
    expect(await store.takeTokens('write', 9, T0 + 500, 60, 3)).toEqual({ granted: 3, left: 0 });
    // A bucket never taken from has nothing to put back into.
    await store.returnTokens('read', 2, T0, 60, 3);
    expect(await granted(store.takeTokens('read', 9, T0, 60, 3))).toBe(3);
  });

  it('80 concurrent callers on two pools at one instant get exactly the burst in total', async () => {
    const schema = freshSchemaName();
    const a = await factory.open({ schema, poolSize: 4 });
    const b = await factory.open({ schema, poolSize: 4 });
    const grants = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        granted((i % 2 === 0 ? a : b).takeTokens('write', 1 + (i % 3), T0, 60, 25)),
      ),
    );
    expect(grants.reduce((x, y) => x + y, 0)).toBe(25);
  });

  it('concurrent callers from two pools over time never exceed burst + elapsed * rate', async () => {
    const schema = freshSchemaName();
    const a = await factory.open({ schema, poolSize: 4 });
    const b = await factory.open({ schema, poolSize: 4 });
    const perMinute = 6_000; // 100 per second
    const burst = 5;
    // Callers with clocks in any order (arrival order is up to the pools), 2 s apart at most.
    const nows = Array.from({ length: 200 }, (_, i) => T0 + ((i * 7919) % 2_000));
    const grants = await Promise.all(
      nows.map((now, i) => granted((i % 2 === 0 ? a : b).takeTokens('read', 2, now, perMinute, burst))),
    );
    const total = grants.reduce((x, y) => x + y, 0);
    const elapsed = Math.max(...nows) - Math.min(...nows);
    expect(total).toBeLessThanOrEqual(burst + (elapsed * perMinute) / 60_000);
    expect(total).toBeGreaterThan(0);
  });
});
