import type { OnboardingStore } from '@kyc-handoff/core';
import { createMemoryStore, sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { createHandoff, type Handoff } from '@kyc-handoff/engine';
import { fakeCrossmint } from './fake-crossmint.js';

/** What the seeded store holds, by top-level state. */
export const SEEDED = {
  verified: ['ok-1', 'ok-2', 'ok-3'],
  rejected: ['rej-1'],
  requiresData: ['more-1', 'more-2'],
  verificationPending: ['wait-1'],
  failed: ['bad-1', 'bad-2', 'gone-1'],
  policyPending: ['new-1'],
} as const;

export interface Seeded {
  store: OnboardingStore;
  handoff: Handoff;
}

/**
 * A store (memory unless given) driven by the real engine against a fake Crossmint: three verified, one rejected,
 * two waiting for data, one under review, three failed (two invalid-data, one not-found) and one
 * submitted afterwards and never run (policyPending). Journals are the engine's own.
 */
export async function seededStore(store: OnboardingStore = createMemoryStore()): Promise<Seeded> {
  const handoff = createHandoff({
    store,
    crossmint: fakeCrossmint(),
    budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
    // A review never ends here: `wait-1` stays under review with its next poll minutes away.
    policy: { pollInitialMs: 300_000 },
  });
  const ran = Object.entries(SEEDED)
    .filter(([state]) => state !== 'policyPending')
    .flatMap(([, ids]) => ids);
  await handoff.submit(ran.map((userId) => sampleRecord({ userId })));
  await handoff.run({ until: 'triggered' });
  await handoff.submit(SEEDED.policyPending.map((userId) => sampleRecord({ userId })));
  return { store, handoff };
}

/** Adds a row whose user id is markup, as a store could hold one written by other code. */
export async function addHostileRow(store: OnboardingStore, userId: string): Promise<void> {
  const record = { ...sampleRecord(), userId };
  await store.submit([sampleOnboarding(record)], { now: Date.now() });
}
