import type { Lane, StateCounts, TopLevelState } from '@kyc-handoff/core';
import type { Budgets } from './budget.js';

/** Writes a user in each state still needs: policy, upsert, trigger (document uploads come on top). */
const WRITES_LEFT: Partial<Record<TopLevelState, number>> = { policyPending: 3, userCreated: 2 };
/** States whose users still need at least one poll. */
const POLLS_LEFT: readonly TopLevelState[] = ['policyPending', 'userCreated', 'verificationPending'];

export interface BudgetView {
  /** The configured limit a minute, or 'unlimited'. */
  perMinute: number | 'unlimited';
  /** The pace the engine keeps now (below the limit; lower after a 429). */
  pacePerMinute: number | 'unlimited';
}

/** The fleet as `stats()` shows it: counts, and what the budgets make of them. */
export interface HandoffStats {
  /** Onboardings by top-level state. */
  states: StateCounts;
  total: number;
  /** Users whose review is pending (verificationPending): the ones the read budget polls. */
  underReview: number;
  budgets: Record<Lane, BudgetView>;
  /**
   * The time between two polls of one user under review that the read budget allows: users under
   * review ÷ reads a minute. Every one of them is polled in turn, earliest due first, and none more
   * often than its own backoff (5 s doubling to 5 min). Null while reads are unlimited.
   */
  pollIntervalMs: number | null;
  /**
   * How long until every onboarding has made the writes it still needs and been polled once, at
   * the pace of whichever budget binds; null when neither budget limits anything.
   */
  etaMs: number | null;
  /** The budget the ETA comes from. */
  bindingBudget: Lane | null;
}

const view = (pace: number, limit: number): BudgetView =>
  Number.isFinite(limit)
    ? { perMinute: limit, pacePerMinute: Math.round(pace * 10) / 10 }
    : { perMinute: 'unlimited', pacePerMinute: 'unlimited' };

/** What the budgets make of the counts: the poll interval and the ETA, from both budgets. */
export function describePacing(states: StateCounts, budgets: Budgets): HandoffStats {
  const count = (state: TopLevelState) => states[state] ?? 0;
  const total = Object.values(states).reduce((a, b) => a + b, 0);
  const underReview = count('verificationPending');
  const writePace = budgets.write.pacePerMinute;
  const readPace = budgets.read.pacePerMinute;
  const writesLeft = Object.entries(WRITES_LEFT).reduce(
    (sum, [state, n]) => sum + count(state as TopLevelState) * n,
    0,
  );
  const pollsLeft = POLLS_LEFT.reduce((sum, state) => sum + count(state), 0);
  const minutes: Record<Lane, number> = {
    write: Number.isFinite(writePace) ? writesLeft / writePace : 0,
    read: Number.isFinite(readPace) ? pollsLeft / readPace : 0,
  };
  const binding: Lane | null =
    minutes.write === 0 && minutes.read === 0 ? null : minutes.write >= minutes.read ? 'write' : 'read';
  const limited = Number.isFinite(writePace) || Number.isFinite(readPace);
  return {
    states,
    total,
    underReview,
    budgets: {
      write: view(writePace, budgets.write.snapshot().limitPerMinute),
      read: view(readPace, budgets.read.snapshot().limitPerMinute),
    },
    pollIntervalMs: Number.isFinite(readPace) ? Math.round((underReview / readPace) * 60_000) : null,
    etaMs: !limited ? null : binding === null ? 0 : Math.round(minutes[binding] * 60_000),
    bindingBudget: binding,
  };
}
