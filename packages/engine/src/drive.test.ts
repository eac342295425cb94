import { createMemoryStore, sampleRecord } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { fakePort } from './__test-utils__/fake-port.js';
import { VirtualClock } from './clock.js';
import { createHandoff } from './handoff.js';

describe('drive', () => {
  it('a claimed onboarding whose next call has no token gives its slot back at once, due in its lane', async () => {
    const clock = new VirtualClock();
    const store = createMemoryStore();
    const { port, calls } = fakePort({ clock });
    // One write a minute: a burst of one token, so the second write of a user has none.
    const handoff = createHandoff({ crossmint: port, store, clock, budgets: { writesPerMinute: 1 } });
    // Time never moves by itself here: a task waiting for a token would wait forever.
    clock.isBusy = () => true;
    await handoff.submit(sampleRecord({ userId: 'd-1' }));
    const running = handoff.run({ until: 'stopped' });
    while (calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    while (handoff.activity().driving > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(calls.map((c) => c.call)).toEqual(['recordLegalDocument']);
    const row = await store.get('d-1');
    expect(row).toMatchObject({ state: 'userCreated', wakeAt: calls[0]!.at });
    await handoff.stop();
    await running;
  });
});
