import {
  type Failure,
  type JournalEntry,
  type OnboardingRow,
  type Outcome,
  type ProductEligibility,
  restoreSnapshot,
  statePath,
  type TopLevelState,
} from '@kyc-handoff/core';

/** One onboarding as `status USER_ID` shows it: no personal data, everything an operator needs. */
export interface OnboardingStatus {
  userId: string;
  state: TopLevelState;
  statePath: string;
  outcome: Outcome | null;
  eligibility: ProductEligibility[] | null;
  requested: { missingData: string[]; missingDocuments: string[] } | null;
  attempts: number;
  lastError: string | null;
  failure: Failure | null;
  wakeAt: number | null;
  /**
   * For a user under review: the shortest time between two of its polls that the read budget allows
   * with this many users under review (users under review ÷ reads a minute, HandoffStats'
   * pollIntervalMs); its own backoff may poll it less often. Null in any other state, and without a
   * read budget.
   */
  pollIntervalMs: number | null;
  createdAt: number;
  updatedAt: number;
  journal: JournalEntry[];
}

/**
 * Status from the row; a row whose snapshot cannot be restored still shows, as `unreadable` with the
 * problem as its failure, until a run quarantines it.
 */
export function describeStatus(
  row: OnboardingRow,
  journal: JournalEntry[],
  pollIntervalMs: number | null = null,
): OnboardingStatus {
  const restored = restoreSnapshot(row.snapshot, { userId: row.userId, state: row.state });
  const ctx = restored.ok ? restored.snapshot.context : undefined;
  return {
    userId: row.userId,
    state: row.state,
    statePath: restored.ok ? statePath(restored.snapshot) : 'unreadable',
    outcome: row.outcome,
    eligibility: ctx?.eligibility ?? null,
    requested: ctx?.requested ?? null,
    attempts: row.attempts,
    lastError: row.lastError,
    failure: restored.ok
      ? (ctx?.failure ?? null)
      : { step: null, reason: 'unreadable-row', message: restored.problem },
    wakeAt: row.wakeAt,
    pollIntervalMs: row.state === 'verificationPending' ? pollIntervalMs : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    journal,
  };
}
