import { startOnboarding } from '@kyc-handoff/core';
import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.js';
import { Notices, noticeOf, quarantineNotice } from './notices.js';

describe('notices', () => {
  const before = startOnboarding({ userId: 'n-1', seed: 1, now: 0 });

  it('a failed call carries its error kind as a field, and the detail says it too', () => {
    const notice = noticeOf(
      'n-1',
      before,
      { type: 'STEP_FAILED', now: 5, error: { kind: 'rate-limited', message: 'x', retryAfterMs: 7_000 } },
      before,
    );
    expect(notice).toMatchObject({
      event: 'STEP_FAILED',
      errorKind: 'rate-limited',
      detail: 'rate-limited (retry after 7 s)',
      at: 5,
    });
    expect(noticeOf('n-1', before, { type: 'POLICY_RECORDED', now: 1 }, before)).not.toHaveProperty(
      'errorKind',
    );
  });

  it('a quarantine of an unreadable row comes from "unreadable"', () => {
    expect(quarantineNotice('n-1', 9, undefined, 'unreadable-row')).toEqual({
      userId: 'n-1',
      at: 9,
      from: 'unreadable',
      event: 'QUARANTINED',
      to: 'failed',
      outcome: null,
      detail: 'unreadable-row',
    });
  });

  it('a throwing subscriber is logged and the others still hear; the inspector meets each actor once', () => {
    const warnings: string[] = [];
    const none = () => {};
    const logger: Logger = { debug: none, info: none, warn: (m) => warnings.push(m), error: none };
    const actors: string[] = [];
    const notices = new Notices(logger, { actor: (id) => actors.push(id), event: none, snapshot: none });
    const heard: string[] = [];
    notices.subscribe(() => {
      throw new Error('listener bug');
    });
    notices.subscribe((n) => heard.push(n.event));
    const notice = noticeOf('n-1', before, { type: 'POLICY_RECORDED', now: 1 }, before);
    notices.publish(notice, before, { type: 'POLICY_RECORDED' });
    notices.publish(notice, before, { type: 'POLICY_RECORDED' });
    expect(heard).toEqual(['POLICY_RECORDED', 'POLICY_RECORDED']);
    expect(warnings).toEqual(['a transition listener threw', 'a transition listener threw']);
    expect(actors).toEqual(['onboarding:n-1']);
  });
});
