import type { CrossmintErrorKind } from '../../ports/crossmint-error.js';
import type { ProductEligibility } from '../../schemas/api.js';
import type { OnboardingContext } from '../context.js';
import type { OnboardingEvent } from '../events.js';

// The specification of each transition restated as a plain table, independently of machine.ts:
// the model-based test checks every generated step against it, so a wrong target or guard in the
// machine shows up as a disagreement.

const CALL_STATES = [
  'policyPending.recordingPolicy',
  'userCreated.submittingKyc',
  'userCreated.uploadingDocuments',
  'userCreated.triggering',
  'verificationPending.checking',
];

const RETRYABLE: CrossmintErrorKind[] = ['transient', 'unexpected-response'];

function verdict(
  path: string,
  context: OnboardingContext,
  now: number,
  eligibility: ProductEligibility[],
): string {
  const statuses = context.targets.map((t) => eligibility.find((e) => e.type === t)?.status ?? 'not-started');
  if (statuses.every((s) => s === 'verified')) return 'verified';
  if (statuses.includes('rejected')) return 'rejected';
  if (statuses.includes('requires-data')) return 'requiresData';
  if (statuses.includes('pending-privacy-policy')) {
    return context.policyRounds < context.policy.maxPolicyRounds ? 'policyPending.recordingPolicy' : 'failed';
  }
  const started = context.verificationStartedAt;
  if (
    path === 'verificationPending.checking' &&
    started !== null &&
    now - started >= context.policy.verificationDeadlineMs
  ) {
    return 'failed';
  }
  return 'verificationPending.waiting';
}

export function expectedNext(path: string, context: OnboardingContext, event: OnboardingEvent): string {
  switch (event.type) {
    case 'STEP_FAILED': {
      if (!CALL_STATES.includes(path)) return path;
      const { kind } = event.error;
      if (kind === 'rate-limited')
        return context.throttled + 1 < context.policy.maxThrottled ? path : 'failed';
      if (RETRYABLE.includes(kind))
        return context.attempts + 1 < context.policy.maxAttempts ? path : 'failed';
      return 'failed';
    }
    case 'POLICY_RECORDED':
      return path === 'policyPending.recordingPolicy' ? 'userCreated.submittingKyc' : path;
    case 'USER_UPSERTED':
      if (path !== 'userCreated.submittingKyc') return path;
      return context.pendingDocuments.length > 0
        ? 'userCreated.uploadingDocuments'
        : 'userCreated.triggering';
    case 'DOCUMENT_UPLOADED':
      if (path !== 'userCreated.uploadingDocuments') return path;
      return context.pendingDocuments.filter((d) => d !== event.documentType).length > 0
        ? 'userCreated.uploadingDocuments'
        : 'userCreated.triggering';
    case 'VERIFICATION_STATUS':
      if (path !== 'userCreated.triggering' && path !== 'verificationPending.checking') return path;
      return verdict(path, context, event.now, event.eligibility);
    case 'DUE':
      return path === 'verificationPending.waiting' ? 'verificationPending.checking' : path;
    case 'DATA_SUPPLIED':
      return path === 'requiresData' ? 'userCreated.submittingKyc' : path;
    case 'RETRY':
      return path === 'failed' ? 'policyPending.recordingPolicy' : path;
  }
}
