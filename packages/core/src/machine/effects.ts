import type { BudgetKind } from '../ports/crossmint.js';

/** The Crossmint calls the machine can wait for, each named in the `meta` of its state. */
export type EffectCall =
  | 'recordLegalDocument'
  | 'upsertUser'
  | 'uploadDocument'
  | 'triggerVerification'
  | 'getVerification';

export interface StateMeta {
  /** The call the engine must make while the machine is in this state. */
  effect?: EffectCall;
  /** A timed wait that ends with DUE. */
  wait?: 'poll';
  /** Who must act for the onboarding to move on. */
  awaits?: 'data' | 'operator';
  description: string;
}

export const EFFECT_BUDGET: Record<EffectCall, BudgetKind> = {
  recordLegalDocument: 'write',
  upsertUser: 'write',
  uploadDocument: 'write',
  triggerVerification: 'write',
  getVerification: 'read',
};
