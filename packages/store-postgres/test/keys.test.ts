import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshSchemaName, postgresAvailable, storeFactory, T0 } from './__test-utils__/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store: keys', () => {
  const factory = storeFactory();
  afterEach(() => factory.cleanup());
  afterAll(() => factory.end());

  it('a key rotation: re-encrypt under the new key, then the old key can go', async () => {
    const schema = freshSchemaName();
    const oldKey = generateKey();
    const newKey = generateKey();
    const records = ['r1', 'r2', 'r3'].map((userId) => sampleRecord({ userId }));
    const before = await factory.open({ schema, keyring: parseKeyring(`old:${oldKey}`) });
    await before.submit(
      records.map((r) => sampleOnboarding(r)),
      { now: T0 },
    );
    await before.close();

    const rotating = await factory.open({ schema, keyring: parseKeyring(`new:${newKey},old:${oldKey}`) });
    expect(await rotating.recordsByKeyId()).toEqual({ old: 3 });
    expect(await rotating.reencryptRecords({ batchSize: 2 })).toBe(3);
    expect(await rotating.recordsByKeyId()).toEqual({ new: 3 });
    await rotating.close();

    const after = await factory.open({ schema, keyring: parseKeyring(`new:${newKey}`) });
    expect(await after.loadRecord('r2')).toEqual(records[1]);
    // The digests were renewed too, so an unchanged record is still recognised.
    expect(await after.submit([sampleOnboarding(records[0]!)], { now: T0 })).toEqual([
      { userId: 'r1', status: 'unchanged' },
    ]);
  });

  it('opened without the key id its records use, the store refuses at open, naming the id and no secret', async () => {
    const schema = freshSchemaName();
    const oldKey = generateKey();
    const first = await factory.open({ schema, keyring: parseKeyring(`old:${oldKey}`) });
    await first.submit([sampleOnboarding(sampleRecord({ userId: 'k' }))], { now: T0 });
    const newKey = generateKey();
    const error = await factory.open({ schema, keyring: parseKeyring(`new:${newKey}`) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /encrypted with key id old, which KYC_HANDOFF_ENCRYPTION_KEY does not contain/,
    );
    for (const secret of [oldKey, newKey, 'Lovelace', '123-45-6789'])
      expect(error?.message).not.toContain(secret);
  });

  it('several workers opening one fresh schema with different keys under one id: one wins, the rest are refused', async () => {
    const schema = freshSchemaName();
    const opened = await Promise.allSettled(
      [generateKey(), generateKey(), generateKey()].map((key) =>
        factory.open({ schema, keyring: parseKeyring(`k:${key}`), poolSize: 1 }),
      ),
    );
    expect(opened.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of opened.filter((o) => o.status === 'rejected')) {
      expect(String((o as PromiseRejectedResult).reason)).toMatch(/key with id k .* is not the one/);
    }
  });

  it('fractional times (a jittered backoff) are stored as whole milliseconds', async () => {
    const store = await factory.open();
    await store.submit([sampleOnboarding(sampleRecord({ userId: 'f' }), { wakeAt: T0 + 0.6 })], {
      now: T0 + 0.2,
    });
    const [row] = await store.claimDue({ now: T0 + 1.4, limit: 1, owner: 'w', leaseMs: 1_000.5 });
    expect(row?.wakeAt).toBe(T0 + 1);
    expect(row?.createdAt).toBe(T0);
  });
});
