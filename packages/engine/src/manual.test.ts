import { createMemoryStore, sampleRecord, TINY_PNG_DATA_URL } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { fakePort } from './__test-utils__/fake-port.js';
import { VirtualClock } from './clock.js';
import { createHandoff } from './handoff.js';
import { followHandoffs } from './testing.js';

async function setUp() {
  const clock = new VirtualClock();
  const store = createMemoryStore();
  const fake = fakePort({ clock });
  const handoff = createHandoff({
    crossmint: fake.port,
    store,
    clock,
    budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
  });
  followHandoffs(clock, handoff);
  return { clock, store, handoff, fake };
}

describe('manual actions', () => {
  it('supplyData with nothing in it is refused before anything is spent', async () => {
    const { handoff } = await setUp();
    await handoff.submit(sampleRecord({ userId: 's-1' }));
    expect(await handoff.supplyData('s-1', {})).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^supplied data for s-1 holds nothing to send: give documents or whole sections/,
      ),
    });
    expect(await handoff.supplyData('s-1', { documents: [] })).toMatchObject({ ok: false });
  });

  it('retry applies to failed onboardings only', async () => {
    const { handoff } = await setUp();
    await handoff.submit(sampleRecord({ userId: 's-2' }));
    expect(await handoff.retry('s-2')).toEqual({
      ok: false,
      reason: 'user s-2 is policyPending; this only applies to failed',
    });
    expect(await handoff.retry('nobody')).toEqual({ ok: false, reason: 'no onboarding for user nobody' });
  });

  it('retry of a quarantined onboarding starts afresh from its current record, documents included', async () => {
    const { handoff, store, fake } = await setUp();
    const record = sampleRecord({
      userId: 's-3',
      documents: [{ documentType: 'id-passport', data: TINY_PNG_DATA_URL }],
    });
    await handoff.submit(record);
    store.tamper.snapshot('s-3', { value: 7, context: null });
    await handoff.run();
    expect((await handoff.status('s-3'))?.failure?.reason).toBe('unreadable-row');
    expect(await handoff.retry('s-3')).toEqual({ ok: true, state: 'policyPending.recordingPolicy' });
    await handoff.run();
    expect((await handoff.status('s-3'))?.state).toBe('verified');
    expect(fake.calls.filter((c) => c.call === 'uploadDocument').map((c) => c.userId)).toEqual(['s-3']);
  });
});
