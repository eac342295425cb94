import type { CrossmintErrorKind } from '../../ports/crossmint-error.js';
import type { ProductEligibility, VerificationStatus } from '../../schemas/api.js';
import type { OnboardingContext, OnboardingInput } from '../context.js';
import type { OnboardingEvent } from '../events.js';

/** Small limits so that every counter is bounded and every limit is reached within a few steps. */
export const MODEL_INPUT: OnboardingInput = {
  userId: 'model-user',
  seed: 7,
  now: 1_000,
  policy: {
    maxAttempts: 2,
    maxThrottled: 2,
    maxPolicyRounds: 1,
    pollInitialMs: 5_000,
    pollMaxMs: 10_000,
    verificationDeadlineMs: 3_600_000,
  },
};

export const NOW = 2_000;
/** Late enough that a verification started at NOW has passed its deadline. */
export const LATE = NOW + 3_600_000;

export function eligibility(offramp: VerificationStatus): ProductEligibility[] {
  const entry: ProductEligibility =
    offramp === 'requires-data'
      ? { type: 'offramp', status: offramp, missingData: ['due-diligence'], missingDocuments: ['id'] }
      : { type: 'offramp', status: offramp };
  return [{ type: 'onramp', status: 'pending-review' }, entry];
}

export const failureOf = (kind: CrossmintErrorKind): OnboardingEvent =>
  kind === 'rate-limited'
    ? {
        type: 'STEP_FAILED',
        now: NOW,
        error: { kind, message: 'Crossmint answered 429', retryAfterMs: 7_000 },
      }
    : { type: 'STEP_FAILED', now: NOW, error: { kind, message: `call failed: ${kind}` } };

/**
 * Per call state: a 429, a retryable error, and one permanent error. Permanent kinds all take the
 * same transition, so they are spread over the states (each kind is sent somewhere) to keep the
 * number of simple paths small enough to enumerate.
 */
const PERMANENT_BY_STATE: Record<string, CrossmintErrorKind[]> = {
  'policyPending.recordingPolicy': ['not-enabled'],
  'userCreated.submittingKyc': ['invalid-data'],
  'userCreated.uploadingDocuments': ['invalid-data'],
  'userCreated.triggering': ['unauthorized'],
  'verificationPending.checking': ['not-found'],
};
const RETRYABLE_BY_STATE: Record<string, CrossmintErrorKind> = {
  'policyPending.recordingPolicy': 'transient',
  'userCreated.submittingKyc': 'transient',
  'userCreated.uploadingDocuments': 'unexpected-response',
  'userCreated.triggering': 'transient',
  'verificationPending.checking': 'unexpected-response',
};

/**
 * Failures offered in a call state. A fresh step gets every kind; a step that already waited once
 * gets only the same kind again (which exhausts its limit), so each limit is reached without the
 * interleavings of both counters multiplying the paths.
 */
function failuresIn(path: string, context: OnboardingContext): OnboardingEvent[] {
  const retryable = RETRYABLE_BY_STATE[path] ?? 'transient';
  // A second policy round repeats the whole flow; its failures add nothing the first round lacks.
  if (context.policyRounds > 0) return [];
  // A machine whose limit guard is broken would count on forever: never offer more failures than
  // the limits allow, so the traversal stays finite and the oracle reports the broken guard.
  if (context.throttled >= context.policy.maxThrottled || context.attempts >= context.policy.maxAttempts)
    return [];
  if (context.throttled > 0) return [failureOf('rate-limited')];
  if (context.attempts > 0) return [failureOf(retryable)];
  return ['rate-limited' as const, retryable, ...(PERMANENT_BY_STATE[path] ?? [])].map(failureOf);
}

const statuses = (now: number): OnboardingEvent[] =>
  (['verified', 'rejected', 'requires-data', 'pending-privacy-policy', 'pending-review'] as const).map(
    (s) => ({
      type: 'VERIFICATION_STATUS',
      now,
      eligibility: eligibility(s),
    }),
  );

/** The events worth sending in each leaf state (others are ignored by the machine and by design). */
export function eventsFor(path: string, context: OnboardingContext): OnboardingEvent[] {
  switch (path) {
    case 'policyPending.recordingPolicy':
      return [{ type: 'POLICY_RECORDED', now: NOW }, ...failuresIn(path, context)];
    case 'userCreated.submittingKyc':
      return [{ type: 'USER_UPSERTED', now: NOW, created: true }, ...failuresIn(path, context)];
    case 'userCreated.uploadingDocuments':
      return [
        { type: 'DOCUMENT_UPLOADED', now: NOW, documentType: 'id-passport' },
        { type: 'DOCUMENT_UPLOADED', now: NOW, documentType: 'selfie-front' },
        ...failuresIn(path, context),
      ];
    case 'userCreated.triggering':
      return [...statuses(NOW), ...failuresIn(path, context)];
    case 'verificationPending.waiting':
      return [{ type: 'DUE', now: NOW }];
    case 'verificationPending.checking':
      return [...statuses(NOW), ...statuses(LATE).slice(-1), ...failuresIn(path, context)];
    case 'requiresData':
      return [
        { type: 'DATA_SUPPLIED', now: NOW, documentTypes: [] },
        { type: 'DATA_SUPPLIED', now: NOW, documentTypes: ['id-passport', 'selfie-front'] },
      ];
    case 'failed':
      return [{ type: 'RETRY', now: NOW }];
    default:
      return [];
  }
}

/**
 * What makes two snapshots the same state for path enumeration: the active state and the counters
 * its guards read. Times and eligibility lists only move wakeAt, and the documents still to upload
 * matter only until the upload is done, so they are left out; this keeps loops (a retry, a second
 * policy round, a resubmission) from multiplying the paths.
 */
export function modelStateKey(snapshot: { context: OnboardingContext }, path: string): string {
  const c = snapshot.context;
  const documents =
    path === 'userCreated.uploadingDocuments' || path === 'userCreated.submittingKyc'
      ? c.pendingDocuments.length
      : '';
  return [path, c.attempts, c.throttled, c.policyRounds, documents].join('|');
}
