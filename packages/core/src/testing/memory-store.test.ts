import { describe, expect, it } from 'vitest';
import { sampleOnboarding, sampleRecord } from './fixtures.js';
import { createMemoryStore } from './memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('memory', async () => {
  const store = createMemoryStore();
  return {
    store,
    cleanup: async () => {},
    tamper: {
      snapshot: async (userId) => store.tamper.snapshot(userId, { value: 7, context: 'x' }),
      record: async (userId) => store.tamper.record(userId, 'record-unreadable'),
    },
  };
});

describe('memory store', () => {
  it('a list page holds at most 10,000 rows, as the durable stores cap it', async () => {
    const store = createMemoryStore();
    await store.submit(
      Array.from({ length: 10_001 }, (_, i) => sampleOnboarding(sampleRecord({ userId: `u${i}` }))),
      { now: 0 },
    );
    expect(await store.list({ limit: 20_000 })).toHaveLength(10_000);
    await expect(store.list({ limit: Number.NaN })).rejects.toThrow(/limit must be a number/);
  });
});
