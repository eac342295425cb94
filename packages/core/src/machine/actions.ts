import { pollCountCap, pollDelay, retryAfterDelay, retryDelay } from './backoff.js';
import type { FailureReason, OnboardingContext, Step } from './context.js';
import type { OnboardingEvent } from './events.js';
import { requestedItems } from './verdict.js';

// Context updates as plain functions; machine.ts wires each into `setup({ actions })` with assign,
// so the machine refers to them by name (as the diagram and the inspector show them).

type Update = Partial<OnboardingContext>;
type E = OnboardingEvent;
type C = OnboardingContext;

const eligibilityOf = (event: E, fallback: C['eligibility'] = null) =>
  event.type === 'VERIFICATION_STATUS' ? event.eligibility : fallback;

/** A step succeeded (or starts afresh): the next call is due at once with a clean attempt count. */
export const scheduleNextStep = (_: C, event: E): Update => ({
  wakeAt: event.now,
  attempts: 0,
  throttled: 0,
  lastError: null,
});

export const scheduleRetry = (context: C, event: E, step: Step): Update => {
  if (event.type !== 'STEP_FAILED') return {};
  const attempts = context.attempts + 1;
  return {
    attempts,
    wakeAt: event.now + retryDelay(context.policy, context.seed, step, attempts),
    lastError: { step, kind: event.error.kind, message: event.error.message },
  };
};

export const scheduleAfterRetryAfter = (context: C, event: E, step: Step): Update => {
  if (event.type !== 'STEP_FAILED') return {};
  return {
    throttled: context.throttled + 1,
    wakeAt: event.now + retryAfterDelay(context.policy, event.error.retryAfterMs),
    lastError: { step, kind: event.error.kind, message: event.error.message },
  };
};

export const recordStepFailure = (_: C, event: E, step: Step): Update => {
  if (event.type !== 'STEP_FAILED') return {};
  const error = { step, kind: event.error.kind, message: event.error.message };
  return { wakeAt: null, failure: { step, reason: error.kind, message: error.message }, lastError: error };
};

export const recordLimitFailure = (
  _: C,
  event: E,
  params: { step: Step; reason: FailureReason; message: string },
): Update => ({
  wakeAt: null,
  failure: { step: params.step, reason: params.reason, message: params.message },
  eligibility: eligibilityOf(event),
});

export const dropUploadedDocument = (context: C, event: E): Update => ({
  pendingDocuments:
    event.type === 'DOCUMENT_UPLOADED'
      ? context.pendingDocuments.filter((type) => type !== event.documentType)
      : context.pendingDocuments,
});

export const startVerificationClock = (context: C, event: E): Update => ({
  verificationStartedAt: context.verificationStartedAt ?? event.now,
});

export const recordVerdict = (_: C, event: E, outcome: 'verified' | 'rejected'): Update => ({
  outcome,
  wakeAt: null,
  eligibility: eligibilityOf(event),
});

export const recordRequest = (context: C, event: E): Update => ({
  wakeAt: null,
  eligibility: eligibilityOf(event),
  requested: event.type === 'VERIFICATION_STATUS' ? requestedItems(context.targets, event.eligibility) : null,
});

export const schedulePoll = (context: C, event: E): Update => ({
  wakeAt: event.now + pollDelay(context.policy, context.seed, context.pollCount),
  pollCount: Math.min(context.pollCount + 1, pollCountCap(context.policy)),
  attempts: 0,
  throttled: 0,
  lastError: null,
  eligibility: eligibilityOf(event, context.eligibility),
});

export const recordPolicyAgain = (context: C, event: E): Update => ({
  policyRounds: context.policyRounds + 1,
  eligibility: eligibilityOf(event),
  wakeAt: event.now,
  attempts: 0,
  throttled: 0,
  verificationStartedAt: null,
  pollCount: 0,
});

/** New data from the platform: upload what was given, then a fresh verification run. */
export const resubmit = (_: C, event: E): Update => ({
  pendingDocuments: event.type === 'DATA_SUPPLIED' ? [...event.documentTypes] : [],
  requested: null,
  wakeAt: event.now,
  attempts: 0,
  throttled: 0,
  pollCount: 0,
  verificationStartedAt: null,
  lastError: null,
});

/** An operator's retry starts the flow again; every write is idempotent, so repeating one is safe. */
export const restart = (_: C, event: E): Update => ({
  failure: null,
  lastError: null,
  wakeAt: event.now,
  attempts: 0,
  throttled: 0,
  pollCount: 0,
  policyRounds: 0,
  verificationStartedAt: null,
});
