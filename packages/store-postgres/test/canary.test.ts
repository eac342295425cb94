import type { OutboxPayload } from '@kyc-handoff/core';
import { CANARY, canaryRecord, sampleOnboarding } from '@kyc-handoff/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { postgresAvailable, storeFactory, T0 } from './__test-utils__/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store: personal data stays in the encrypted record', () => {
  const factory = storeFactory();
  afterEach(() => factory.cleanup());
  afterAll(() => factory.end());

  it('the canary SSN and email appear in no table text, and the record opens only for its user', async () => {
    const store = await factory.open();
    const record = canaryRecord('canary-1');
    const event = (type: 'submitted' | 'failed', state: 'policyPending' | 'failed'): OutboxPayload => ({
      type,
      userId: 'canary-1',
      state,
      outcome: null,
      eligibility: null,
      requested: null,
      failure: type === 'failed' ? { reason: 'invalid-data', message: 'kycData.email is invalid' } : null,
      at: T0,
    });
    await store.submit(
      [sampleOnboarding(record, { wakeAt: T0, outbox: event('submitted', 'policyPending') })],
      {
        now: T0,
      },
    );
    await store.submit([sampleOnboarding(record)], { now: T0, update: true });
    const [row] = await store.claimDue({ now: T0, limit: 1, owner: 'w', leaseMs: 30_000 });
    await store.commit([
      {
        userId: 'canary-1',
        expectedVersion: row!.version,
        state: 'failed',
        snapshot: { value: 'failed', context: { error: 'invalid-data' } },
        wakeAt: null,
        attempts: 1,
        lastError: 'invalid-data: kycData.email',
        outcome: null,
        journal: [
          {
            userId: 'canary-1',
            at: T0 + 1,
            from: 'policyPending',
            event: 'STEP_FAILED',
            to: 'failed',
            detail: 'invalid-data',
          },
        ],
        releaseLease: true,
        outbox: [event('failed', 'failed')],
        now: T0 + 1,
      },
    ]);
    await store.takeTokens('write', 1, T0, 60, 5);
    const [claimed] = await store.claimOutbox({ now: T0 + 2, limit: 1, owner: 'd', leaseMs: 1_000 });
    await store.settleOutbox([
      { id: claimed!.id, delivered: false, retryAt: T0 + 10, error: 'status 500', now: T0 + 2 },
    ]);

    const forbidden = [CANARY.ssn, CANARY.email, CANARY.ssn.replaceAll('-', '')];
    // Every table of the schema, so a table added later is scanned without anyone remembering to.
    const { rows: tables } = await factory.admin.query<{ name: string }>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1',
      [store.schema],
    );
    expect(tables.map((t) => t.name)).toContain('outbox');
    for (const table of tables.map((t) => t.name)) {
      const { rows } = await factory.admin.query<{ t: string }>(
        `SELECT t::text AS t FROM "${store.schema}".${table} t`,
      );
      const text = rows.map((r) => r.t).join('\n');
      for (const value of forbidden) expect(text, `${value} in ${table}`).not.toContain(value);
    }
    expect((await store.loadRecord('canary-1'))?.kycData?.identityDocument?.number).toBe(CANARY.ssn);

    // A ciphertext moved to another user's row does not open (the user id is authenticated with it).
    await store.submit([sampleOnboarding(canaryRecord('mallory'))], { now: T0 });
    await factory.admin.query(
      `UPDATE "${store.schema}".records SET ciphertext = (SELECT ciphertext FROM "${store.schema}".records WHERE user_id = 'canary-1') WHERE user_id = 'mallory'`,
    );
    const error = await store.loadRecord('mallory').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/cannot read the record of user mallory/);
    for (const value of forbidden) expect(error?.message).not.toContain(value);
  });
});
