import { describe, expect, it } from 'vitest';
import { Budgets } from './budget.js';
import { VirtualClock } from './clock.js';
import { describePacing } from './pacing.js';

describe('describePacing', () => {
  it('a review backlog: the poll interval is users under review over reads a minute, and reads bind the ETA', () => {
    const budgets = new Budgets({ writesPerMinute: 120, readsPerMinute: 360 }, new VirtualClock());
    const stats = describePacing({ verificationPending: 3_492, policyPending: 10 }, budgets);
    // 3,492 under review at 97% of 360 reads a minute: each polled every 10 minutes.
    expect(stats.pollIntervalMs).toBe(600_000);
    expect(stats.bindingBudget).toBe('read');
    expect(stats.etaMs).toBe(Math.round(((3_492 + 10) / 349.2) * 60_000));
    expect(stats).toMatchObject({ total: 3_502, underReview: 3_492 });
  });

  it('a migration just submitted: writes bind (3 a user), reads barely matter', () => {
    const budgets = new Budgets({ writesPerMinute: 120, readsPerMinute: 360 }, new VirtualClock());
    const stats = describePacing({ policyPending: 1_000 }, budgets);
    expect(stats.bindingBudget).toBe('write');
    expect(stats.etaMs).toBe(Math.round(((1_000 * 3) / 116.4) * 60_000));
  });

  it('without limits there is no ETA from the budgets and no poll interval', () => {
    const unlimited = Number.POSITIVE_INFINITY;
    const budgets = new Budgets(
      { writesPerMinute: unlimited, readsPerMinute: unlimited },
      new VirtualClock(),
    );
    const stats = describePacing({ policyPending: 5, verificationPending: 5 }, budgets);
    expect(stats).toMatchObject({ etaMs: null, pollIntervalMs: null, bindingBudget: null });
    expect(stats.budgets.write).toEqual({ perMinute: 'unlimited', pacePerMinute: 'unlimited' });
  });
});
