import { err, ok } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { UpsertOutcome } from '../ports/crossmint.js';
import { CROSSMINT_ERROR_KINDS, type CrossmintError } from '../ports/crossmint-error.js';
import type { ProductEligibility, ProductType, VerificationStatus } from '../schemas/api.js';
import { retryDelay } from './backoff.js';
import { DEFAULT_POLICY, type OnboardingInput } from './context.js';
import type { OnboardingEvent } from './events.js';
import { pendingEffect } from './pending-effect.js';
import { eventFromResult } from './result-events.js';
import {
  applyEvent,
  fromPersisted,
  type OnboardingSnapshot,
  startOnboarding,
  statePath,
  toPersisted,
  topLevelState,
} from './snapshot.js';

// The cases a reader of the machine needs to see, one behaviour per test. Times are epoch ms,
// counted from T; the machine has no clock, so every event says when it happened.

const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const SECOND = 1_000;
const input = (changes: Partial<OnboardingInput> = {}): OnboardingInput => ({
  userId: 'alice-1',
  seed: 42,
  now: T,
  ...changes,
});

const offramp = (
  status: VerificationStatus,
  extra: Partial<ProductEligibility> = {},
): ProductEligibility => ({
  type: 'offramp',
  status,
  ...extra,
});
const statusEvent = (now: number, ...eligibility: ProductEligibility[]): OnboardingEvent => ({
  type: 'VERIFICATION_STATUS',
  now,
  eligibility,
});
const failure = (now: number, kind: CrossmintError['kind'], retryAfterMs?: number): OnboardingEvent => ({
  type: 'STEP_FAILED',
  now,
  error:
    retryAfterMs === undefined
      ? { kind, message: `call failed: ${kind}` }
      : { kind, message: 'HTTP 429', retryAfterMs },
});

/** Applies events in order, returning the last snapshot. */
function run(snapshot: OnboardingSnapshot, ...events: OnboardingEvent[]): OnboardingSnapshot {
  return events.reduce(applyEvent, snapshot);
}

/** A snapshot waiting in `userCreated.triggering`, reached at `now`. */
function atTrigger(changes: Partial<OnboardingInput> = {}, now = T): OnboardingSnapshot {
  return run(
    startOnboarding(input(changes)),
    { type: 'POLICY_RECORDED', now },
    { type: 'USER_UPSERTED', now, created: true },
  );
}

describe('the seed flow, step by step', () => {
  it('records the policy, upserts the user, triggers, waits for review, polls, and ends verified', () => {
    let s = startOnboarding(input());
    expect(statePath(s)).toBe('policyPending.recordingPolicy');
    expect(pendingEffect(s)).toEqual({
      kind: 'call',
      call: 'recordLegalDocument',
      budget: 'write',
      userId: 'alice-1',
      dueAt: T,
    });

    s = applyEvent(s, { type: 'POLICY_RECORDED', now: T + 100 });
    expect(statePath(s)).toBe('userCreated.submittingKyc');
    expect(pendingEffect(s)).toEqual({
      kind: 'call',
      call: 'upsertUser',
      budget: 'write',
      userId: 'alice-1',
      dueAt: T + 100,
    });

    s = applyEvent(s, { type: 'USER_UPSERTED', now: T + 200, created: true });
    expect(statePath(s)).toBe('userCreated.triggering');
    expect(pendingEffect(s)).toMatchObject({ call: 'triggerVerification', budget: 'write', dueAt: T + 200 });

    s = applyEvent(
      s,
      statusEvent(T + 300, { type: 'onramp', status: 'pending-review' }, offramp('pending-review')),
    );
    expect(statePath(s)).toBe('verificationPending.waiting');
    expect(s.context.verificationStartedAt).toBe(T + 300);
    const wake = pendingEffect(s);
    expect(wake.kind).toBe('wake');
    // The first poll waits between half and all of pollInitialMs.
    const firstPoll = (wake.kind === 'wake' ? wake.dueAt : 0) - (T + 300);
    expect(firstPoll).toBeGreaterThanOrEqual(DEFAULT_POLICY.pollInitialMs / 2);
    expect(firstPoll).toBeLessThan(DEFAULT_POLICY.pollInitialMs);

    s = applyEvent(s, { type: 'DUE', now: T + 300 + firstPoll });
    expect(statePath(s)).toBe('verificationPending.checking');
    expect(pendingEffect(s)).toEqual({
      kind: 'call',
      call: 'getVerification',
      budget: 'read',
      userId: 'alice-1',
      dueAt: T + 300 + firstPoll,
    });

    s = applyEvent(s, statusEvent(T + 10 * SECOND, offramp('verified')));
    expect(statePath(s)).toBe('verified');
    expect(s.status).toBe('done');
    expect(s.output).toEqual({ outcome: 'verified' });
    expect(pendingEffect(s)).toEqual({ kind: 'none', awaits: 'nothing' });
  });

  it('a trigger that already answers verified ends the onboarding without polling', () => {
    const s = applyEvent(atTrigger(), statusEvent(T, offramp('verified')));
    expect(statePath(s)).toBe('verified');
    expect(s.context.pollCount).toBe(0);
  });

  it('a rejected offramp ends rejected, with no further call', () => {
    const s = applyEvent(atTrigger(), statusEvent(T, offramp('rejected')));
    expect(statePath(s)).toBe('rejected');
    expect(s.output).toEqual({ outcome: 'rejected' });
    expect(pendingEffect(s)).toEqual({ kind: 'none', awaits: 'nothing' });
  });
});

describe('rate limits and transient errors', () => {
  it('a 429 with Retry-After: 7 waits 7 s before the next write and does not use up attempts', () => {
    const s = applyEvent(startOnboarding(input()), failure(T + 50, 'rate-limited', 7 * SECOND));
    expect(statePath(s)).toBe('policyPending.recordingPolicy');
    expect(s.context.wakeAt).toBe(T + 50 + 7_000);
    expect(pendingEffect(s)).toMatchObject({ call: 'recordLegalDocument', dueAt: T + 50 + 7_000 });
    expect(s.context.attempts).toBe(0);
    expect(s.context.throttled).toBe(1);
  });

  it('429s up to maxThrottled wait; the one that reaches it fails the onboarding as rate-limited', () => {
    let s = startOnboarding(input({ policy: { maxThrottled: 3 } }));
    s = run(s, failure(T, 'rate-limited', SECOND), failure(T + SECOND, 'rate-limited', SECOND));
    expect(statePath(s)).toBe('policyPending.recordingPolicy');
    s = applyEvent(s, failure(T + 2 * SECOND, 'rate-limited', SECOND));
    expect(statePath(s)).toBe('failed');
    expect(s.context.failure).toMatchObject({ step: 'recordingPolicy', reason: 'rate-limited' });
  });

  it('a Retry-After longer than maxRetryAfterMs is shortened to it', () => {
    const s = applyEvent(startOnboarding(input()), failure(T, 'rate-limited', 3_600 * SECOND));
    expect(s.context.wakeAt).toBe(T + DEFAULT_POLICY.maxRetryAfterMs);
  });

  it('transient errors back off exponentially with jitter, then fail with the reason after maxAttempts', () => {
    let s = atTrigger({ policy: { maxAttempts: 5 } });
    let now = T;
    const waits: number[] = [];
    for (let attempt = 1; attempt < 5; attempt++) {
      s = applyEvent(s, failure(now, 'transient'));
      expect(statePath(s)).toBe('userCreated.triggering');
      expect(s.context.attempts).toBe(attempt);
      const wait = (s.context.wakeAt ?? 0) - now;
      // "Equal jitter": between half and all of baseDelayMs * 2^(attempt-1).
      const ceiling = DEFAULT_POLICY.baseDelayMs * 2 ** (attempt - 1);
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
      expect(wait).toBeLessThan(ceiling);
      expect(wait).toBe(retryDelay(s.context.policy, 42, 'triggering', attempt));
      waits.push(wait);
      now = s.context.wakeAt ?? now;
    }
    // Jitter: the waits are not just the halves.
    expect(waits.some((w, i) => w !== (DEFAULT_POLICY.baseDelayMs * 2 ** i) / 2)).toBe(true);

    s = applyEvent(s, failure(now, 'transient'));
    expect(statePath(s)).toBe('failed');
    expect(s.context.failure).toEqual({
      step: 'triggering',
      reason: 'transient',
      message: 'call failed: transient',
    });
    expect(pendingEffect(s)).toEqual({ kind: 'none', awaits: 'operator' });
  });

  it('the same seed gives the same waits; another seed other waits', () => {
    const waitsFor = (seed: number) =>
      [1, 2, 3, 4, 5].map((attempt) => retryDelay(DEFAULT_POLICY, seed, 'submittingKyc', attempt));
    expect(waitsFor(42)).toEqual(waitsFor(42));
    expect(waitsFor(42)).not.toEqual(waitsFor(43));
  });

  it('a success resets the attempt count for the next step', () => {
    const s = run(startOnboarding(input()), failure(T, 'transient'), {
      type: 'POLICY_RECORDED',
      now: T + 5 * SECOND,
    });
    expect(s.context).toMatchObject({ attempts: 0, throttled: 0, lastError: null, wakeAt: T + 5 * SECOND });
  });
});

describe('permanent errors stop for an operator', () => {
  it('a project not enabled fails at once with reason not-enabled; RETRY starts again from the policy', () => {
    let s = applyEvent(startOnboarding(input()), failure(T, 'not-enabled'));
    expect(statePath(s)).toBe('failed');
    expect(s.context.failure).toMatchObject({ step: 'recordingPolicy', reason: 'not-enabled' });
    expect(s.context.attempts).toBe(0);
    expect(pendingEffect(s)).toEqual({ kind: 'none', awaits: 'operator' });

    s = applyEvent(s, { type: 'RETRY', now: T + 3_600 * SECOND });
    expect(statePath(s)).toBe('policyPending.recordingPolicy');
    expect(s.context.failure).toBeNull();
    expect(pendingEffect(s)).toMatchObject({ call: 'recordLegalDocument', dueAt: T + 3_600 * SECOND });
  });

  it.each(['invalid-data', 'unauthorized', 'not-found'] as const)(
    '%s fails at once without retrying',
    (kind) => {
      const s = applyEvent(atTrigger(), failure(T, kind));
      expect(statePath(s)).toBe('failed');
      expect(s.context.failure?.reason).toBe(kind);
    },
  );
});

describe('Crossmint asks for more data', () => {
  it('requires-data waits for the platform, then uploads each supplied document, triggers again and verifies', () => {
    let s = atTrigger();
    s = applyEvent(
      s,
      statusEvent(
        T,
        offramp('requires-data', { missingData: ['due-diligence'], missingDocuments: ['selfie', 'id'] }),
      ),
    );
    expect(statePath(s)).toBe('requiresData');
    expect(s.context.requested).toEqual({
      missingData: ['due-diligence'],
      missingDocuments: ['id', 'selfie'],
    });
    expect(pendingEffect(s)).toEqual({ kind: 'none', awaits: 'data' });

    s = applyEvent(s, {
      type: 'DATA_SUPPLIED',
      now: T + 60 * SECOND,
      documentTypes: ['id-passport', 'selfie-front'],
    });
    expect(statePath(s)).toBe('userCreated.submittingKyc');
    expect(pendingEffect(s)).toMatchObject({ call: 'upsertUser', dueAt: T + 60 * SECOND });

    s = applyEvent(s, { type: 'USER_UPSERTED', now: T + 61 * SECOND, created: false });
    expect(statePath(s)).toBe('userCreated.uploadingDocuments');
    expect(pendingEffect(s)).toEqual({
      kind: 'call',
      call: 'uploadDocument',
      budget: 'write',
      userId: 'alice-1',
      documentType: 'id-passport',
      dueAt: T + 61 * SECOND,
    });

    s = applyEvent(s, { type: 'DOCUMENT_UPLOADED', now: T + 62 * SECOND, documentType: 'id-passport' });
    expect(statePath(s)).toBe('userCreated.uploadingDocuments');
    expect(pendingEffect(s)).toMatchObject({ call: 'uploadDocument', documentType: 'selfie-front' });

    s = applyEvent(s, { type: 'DOCUMENT_UPLOADED', now: T + 63 * SECOND, documentType: 'selfie-front' });
    expect(statePath(s)).toBe('userCreated.triggering');
    expect(pendingEffect(s)).toMatchObject({ call: 'triggerVerification', dueAt: T + 63 * SECOND });

    s = applyEvent(s, statusEvent(T + 64 * SECOND, offramp('verified')));
    expect(statePath(s)).toBe('verified');
  });

  it('documents of the record are uploaded after the first upsert, before the trigger', () => {
    const s = atTrigger({ documentTypes: ['id-passport'] });
    expect(statePath(s)).toBe('userCreated.uploadingDocuments');
    expect(pendingEffect(s)).toMatchObject({ call: 'uploadDocument', documentType: 'id-passport' });
  });
});

describe('the privacy policy reported missing', () => {
  it('pending-privacy-policy records the policy again once, then fails with policy-not-recorded', () => {
    let s = atTrigger({ policy: { maxPolicyRounds: 1 } });
    s = applyEvent(s, statusEvent(T, offramp('pending-privacy-policy')));
    expect(statePath(s)).toBe('policyPending.recordingPolicy');
    expect(s.context.policyRounds).toBe(1);
    expect(pendingEffect(s)).toMatchObject({ call: 'recordLegalDocument', dueAt: T });

    s = run(
      s,
      { type: 'POLICY_RECORDED', now: T + SECOND },
      { type: 'USER_UPSERTED', now: T + 2 * SECOND, created: false },
      statusEvent(T + 3 * SECOND, offramp('pending-privacy-policy')),
    );
    expect(statePath(s)).toBe('failed');
    expect(s.context.failure).toMatchObject({ step: 'triggering', reason: 'policy-not-recorded' });
  });
});

describe('the verification deadline', () => {
  const deadline = 3_600 * SECOND;

  function pollingSince(triggeredAt: number): OnboardingSnapshot {
    return applyEvent(
      atTrigger({ policy: { verificationDeadlineMs: deadline } }, triggeredAt),
      statusEvent(triggeredAt, offramp('pending-review')),
    );
  }

  it('a poll still pending before the deadline keeps waiting', () => {
    const s = run(
      pollingSince(T),
      { type: 'DUE', now: T + deadline - 1 },
      statusEvent(T + deadline - 1, offramp('pending-review')),
    );
    expect(statePath(s)).toBe('verificationPending.waiting');
  });

  it('a poll still pending at the deadline fails with verification-deadline', () => {
    const s = run(
      pollingSince(T),
      { type: 'DUE', now: T + deadline },
      statusEvent(T + deadline, offramp('pending-review')),
    );
    expect(statePath(s)).toBe('failed');
    expect(s.context.failure).toMatchObject({ step: 'checking', reason: 'verification-deadline' });
  });

  it('a verdict that arrives after the deadline still counts', () => {
    const s = run(
      pollingSince(T),
      { type: 'DUE', now: T + 2 * deadline },
      statusEvent(T + 2 * deadline, offramp('verified')),
    );
    expect(statePath(s)).toBe('verified');
  });
});

describe('several target products', () => {
  const targets: ProductType[] = ['offramp', 'onramp'];
  const both = (offrampStatus: VerificationStatus, onrampStatus: VerificationStatus) =>
    statusEvent(T, offramp(offrampStatus), { type: 'onramp', status: onrampStatus });

  it('targets offramp and onramp: one verified is not enough, both verified is', () => {
    let s = applyEvent(atTrigger({ targets }), both('verified', 'pending-review'));
    expect(statePath(s)).toBe('verificationPending.waiting');
    s = run(s, { type: 'DUE', now: T + 10 * SECOND }, both('verified', 'verified'));
    expect(statePath(s)).toBe('verified');
  });

  it.each<[VerificationStatus, VerificationStatus]>([
    ['verified', 'rejected'],
    ['rejected', 'pending-review'],
  ])('offramp %s and onramp %s: rejected', (a, b) => {
    expect(statePath(applyEvent(atTrigger({ targets }), both(a, b)))).toBe('rejected');
  });

  it('a target missing from the list counts as not started, so the machine keeps polling', () => {
    expect(statePath(applyEvent(atTrigger({ targets }), statusEvent(T, offramp('verified'))))).toBe(
      'verificationPending.waiting',
    );
  });
});

describe('persistence', () => {
  it('a snapshot persisted as JSON and restored resumes with the same pending effect', () => {
    const s = run(
      atTrigger({ documentTypes: ['id-passport', 'selfie-front'] }),
      { type: 'DOCUMENT_UPLOADED', now: T + SECOND, documentType: 'id-passport' },
      failure(T + 2 * SECOND, 'rate-limited', 7 * SECOND),
    );
    const restored = fromPersisted(JSON.parse(JSON.stringify(toPersisted(s))));
    expect(statePath(restored)).toBe('userCreated.uploadingDocuments');
    expect(pendingEffect(restored)).toEqual(pendingEffect(s));
    expect(pendingEffect(restored)).toMatchObject({ documentType: 'selfie-front', dueAt: T + 9 * SECOND });

    const next: OnboardingEvent = {
      type: 'DOCUMENT_UPLOADED',
      now: T + 9 * SECOND,
      documentType: 'selfie-front',
    };
    expect(applyEvent(restored, next).context).toEqual(applyEvent(s, next).context);
    expect(statePath(applyEvent(restored, next))).toBe('userCreated.triggering');
  });

  it('a waiting snapshot restores its wake-up time', () => {
    const s = applyEvent(atTrigger(), statusEvent(T, offramp('pending-review')));
    const restored = fromPersisted(JSON.parse(JSON.stringify(toPersisted(s))));
    expect(pendingEffect(restored)).toEqual(pendingEffect(s));
    expect(topLevelState(restored)).toBe('verificationPending');
  });
});

describe('eventFromResult: Crossmint results become events', () => {
  const errors: Record<CrossmintError['kind'], CrossmintError> = {
    'rate-limited': { kind: 'rate-limited', retryAfterMs: 7_000, message: 'HTTP 429' },
    transient: { kind: 'transient', message: 'HTTP 503', status: 503 },
    'invalid-data': { kind: 'invalid-data', message: 'HTTP 422: bad date', status: 422 },
    unauthorized: { kind: 'unauthorized', message: 'HTTP 401', status: 401 },
    'not-enabled': { kind: 'not-enabled', message: 'project not configured' },
    'not-found': { kind: 'not-found', message: 'HTTP 404' },
    'unexpected-response': { kind: 'unexpected-response', message: 'not JSON', status: 200 },
  };

  it.each(CROSSMINT_ERROR_KINDS)('a %s error becomes STEP_FAILED with the same kind and message', (kind) => {
    const event = eventFromResult('upsertUser', err(errors[kind]), T);
    expect(event).toEqual({
      type: 'STEP_FAILED',
      now: T,
      error:
        kind === 'rate-limited'
          ? { kind, message: 'HTTP 429', retryAfterMs: 7_000 }
          : { kind, message: errors[kind].message },
    });
  });

  const eligibility = [offramp('pending-review')];
  const upsert: UpsertOutcome = {
    created: true,
    user: {
      userId: 'alice-1',
      userDetails: true,
      kycData: true,
      dueDiligence: false,
      verificationHistory: true,
    },
  };

  it.each<[string, OnboardingEvent]>([
    ['recordLegalDocument', { type: 'POLICY_RECORDED', now: T }],
    ['upsertUser', { type: 'USER_UPSERTED', now: T, created: true }],
    ['uploadDocument', { type: 'DOCUMENT_UPLOADED', now: T, documentType: 'id-passport' }],
    ['triggerVerification', { type: 'VERIFICATION_STATUS', now: T, eligibility }],
    ['getVerification', { type: 'VERIFICATION_STATUS', now: T, eligibility }],
  ])('a successful %s becomes its event', (call, expected) => {
    const results = {
      recordLegalDocument: { acceptedAt: '2026-01-01T00:00:00.000Z' },
      upsertUser: upsert,
      uploadDocument: { id: 'doc_1', documentType: 'id-passport', createdAt: '2026-01-01T00:00:00.000Z' },
      triggerVerification: { eligibility },
      getVerification: { eligibility },
    };
    const c = call as keyof typeof results;
    expect(eventFromResult(c, ok(results[c]), T)).toEqual(expected);
  });

  it('an upload names the document type the engine asked for, whatever the response says', () => {
    const response = { id: 'doc_1', documentType: 'selfie', createdAt: 'x' };
    expect(eventFromResult('uploadDocument', ok(response), T, 'selfie-front')).toMatchObject({
      documentType: 'selfie-front',
    });
  });

  it('an update (200) says created: false', () => {
    expect(eventFromResult('upsertUser', ok({ ...upsert, created: false }), T)).toMatchObject({
      created: false,
    });
  });
});
