import {
  fromPersisted,
  type JournalEntry,
  type OnboardingRow,
  type ProductEligibility,
  statePath,
} from '@kyc-handoff/core';

/** One onboarding as `status USER_ID` shows it: no personal data, everything an operator needs. */
export interface OnboardingStatus {
  userId: string;
  state: string;
  statePath: string;
  outcome: string | null;
  eligibility: ProductEligibility[] | null;
  requested: { missingData: string[]; missingDocuments: string[] } | null;
  attempts: number;
  lastError: string | null;
  failure: { step: string; reason: string; message: string } | null;
  wakeAt: number | null;
  createdAt: number;
  updatedAt: number;
  journal: JournalEntry[];
}

export function describeStatus(row: OnboardingRow, journal: JournalEntry[]): OnboardingStatus {
  const snapshot = fromPersisted(row.snapshot);
  const ctx = snapshot.context;
  return {
    userId: row.userId,
    state: row.state,
    statePath: statePath(snapshot),
    outcome: row.outcome,
    eligibility: ctx.eligibility,
    requested: ctx.requested,
    attempts: row.attempts,
    lastError: row.lastError,
    failure: ctx.failure,
    wakeAt: row.wakeAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    journal,
  };
}
