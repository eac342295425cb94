import type { OnboardingEvent } from '@kyc-handoff/core';
import { describe, expect, it } from 'vitest';
import { FatalWatch, type HandoffFatalError } from './fatal.js';

const failed = (kind: 'unauthorized' | 'not-enabled' | 'transient'): OnboardingEvent => ({
  type: 'STEP_FAILED',
  now: 0,
  error: { kind, message: 'm' },
});

describe('FatalWatch', () => {
  it('reports once, after `after` answers of one fatal kind with no success in between', () => {
    const reports: HandoffFatalError[] = [];
    const watch = new FatalWatch(3, (e) => reports.push(e));
    watch.observe(failed('not-enabled'));
    watch.observe(failed('not-enabled'));
    watch.observe({ type: 'POLICY_RECORDED', now: 0 });
    watch.observe(failed('not-enabled'));
    watch.observe(failed('transient'));
    watch.observe(failed('not-enabled'));
    expect(reports).toEqual([]);
    watch.observe(failed('not-enabled'));
    watch.observe(failed('not-enabled'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'not-enabled', name: 'HandoffFatalError' });
    expect(reports[0]?.message).toMatch(/not enabled for the users KYC endpoints/);
  });

  it('an answer of a fatal kind with no success since stays unresolved, so a short run still ends fatal', () => {
    const watch = new FatalWatch(3, () => {});
    expect(watch.unresolved()).toBeUndefined();
    watch.observe(failed('unauthorized'));
    expect(watch.unresolved()).toBe('unauthorized');
    watch.observe({ type: 'USER_UPSERTED', now: 0, created: true });
    expect(watch.unresolved()).toBeUndefined();
  });
});
