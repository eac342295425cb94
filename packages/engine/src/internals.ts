import type { Handoff } from './handoff.js';

/**
 * What only tests read of a handoff, kept out of its public surface: whether some onboarding is
 * doing more than waiting on the clock. Read through `@kyc-handoff/engine/testing`.
 */
export const busyOf = new WeakMap<Handoff, () => boolean>();
