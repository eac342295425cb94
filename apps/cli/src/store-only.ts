import type { CrossmintPort, OnboardingStore } from '@kyc-handoff/core';
import { createHandoff, type Handoff, type PerMinute } from '@kyc-handoff/engine';
import { describeStore, type GlobalFlags, openStore, parseStoreSpec } from './config.js';

/** Commands that read only the store: any Crossmint call would be a bug, so it throws. */
const NO_CROSSMINT = new Proxy({} as CrossmintPort, {
  get() {
    throw new Error('this command reads only the store and never calls Crossmint');
  },
});

export interface StoreOnly {
  store: OnboardingStore;
  /** The engine over the store alone (listing, counts, status, the outbox); it never runs machines. */
  handoff: Handoff;
  /** The store's name, safe to print. */
  label: string;
  close(): Promise<void>;
}

/**
 * The store and an engine over it without a Crossmint client: what status, export and webhooks
 * status/replay open. Needs the encryption key (the store checks it when it opens), never an API key.
 */
export async function openStoreOnly(
  flags: GlobalFlags,
  /** The read budget the runs use: `status` computes a user's poll interval from it. */
  readsPerMinute?: PerMinute,
): Promise<StoreOnly> {
  const label = describeStore(parseStoreSpec(flags.store));
  const store = await openStore(flags);
  return {
    store,
    handoff: createHandoff({
      store,
      crossmint: NO_CROSSMINT,
      ...(readsPerMinute !== undefined && { budgets: { readsPerMinute } }),
    }),
    label,
    close: () => store.close(),
  };
}
