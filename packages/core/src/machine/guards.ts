import type { OnboardingContext } from './context.js';
import type { OnboardingEvent } from './events.js';
import { targetStatuses } from './verdict.js';

type GuardArgs = { context: OnboardingContext; event: OnboardingEvent };

function statuses({ context, event }: GuardArgs) {
  return event.type === 'VERIFICATION_STATUS' ? targetStatuses(context.targets, event.eligibility) : [];
}

function failedWith({ event }: GuardArgs) {
  return event.type === 'STEP_FAILED' ? event.error.kind : undefined;
}

export const guards = {
  allTargetsVerified: (args: GuardArgs) => {
    const s = statuses(args);
    return s.length > 0 && s.every((status) => status === 'verified');
  },
  anyTargetRejected: (args: GuardArgs) => statuses(args).includes('rejected'),
  anyTargetRequiresData: (args: GuardArgs) => statuses(args).includes('requires-data'),
  policyMissingAgain: (args: GuardArgs) =>
    statuses(args).includes('pending-privacy-policy') &&
    args.context.policyRounds < args.context.policy.maxPolicyRounds,
  policyStillMissing: (args: GuardArgs) => statuses(args).includes('pending-privacy-policy'),
  deadlinePassed: ({ context, event }: GuardArgs) =>
    context.verificationStartedAt !== null &&
    event.now - context.verificationStartedAt >= context.policy.verificationDeadlineMs,
  throttledWithinLimit: (args: GuardArgs) =>
    failedWith(args) === 'rate-limited' && args.context.throttled + 1 < args.context.policy.maxThrottled,
  retryableWithinLimit: (args: GuardArgs) => {
    const kind = failedWith(args);
    return (
      (kind === 'transient' || kind === 'unexpected-response') &&
      args.context.attempts + 1 < args.context.policy.maxAttempts
    );
  },
  moreDocumentsPending: ({ context, event }: GuardArgs) =>
    event.type === 'DOCUMENT_UPLOADED' &&
    context.pendingDocuments.some((type) => type !== event.documentType),
  hasDocumentsToUpload: ({ context }: GuardArgs) => context.pendingDocuments.length > 0,
};
