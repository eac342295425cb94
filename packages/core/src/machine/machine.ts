import { assign, setup } from 'xstate';
import * as update from './actions.js';
import {
  type FailureReason,
  initialContext,
  type OnboardingContext,
  type OnboardingInput,
  type Step,
} from './context.js';
import type { StateMeta } from './effects.js';
import type { OnboardingEvent } from './events.js';
import { guards } from './guards.js';
import type { OnboardingOutput } from './version.js';

export { MACHINE_VERSION, type OnboardingOutput } from './version.js';

/** A failed call: wait and try again while the limits allow, otherwise stop for an operator. */
function onStepFailed(step: Step) {
  return [
    {
      guard: 'throttledWithinLimit' as const,
      actions: { type: 'scheduleAfterRetryAfter' as const, params: { step } },
    },
    { guard: 'retryableWithinLimit' as const, actions: { type: 'scheduleRetry' as const, params: { step } } },
    { target: '#onboarding.failed', actions: { type: 'recordStepFailure' as const, params: { step } } },
  ];
}

/** The trigger and each poll answer with the eligibility list; the targets decide what comes next. */
function onVerificationStatus(step: Step) {
  const first = step === 'triggering' ? ['startVerificationClock' as const] : [];
  return [
    {
      guard: 'allTargetsVerified' as const,
      target: '#onboarding.verified',
      actions: [...first, { type: 'recordVerdict' as const, params: { outcome: 'verified' as const } }],
    },
    {
      guard: 'anyTargetRejected' as const,
      target: '#onboarding.rejected',
      actions: [...first, { type: 'recordVerdict' as const, params: { outcome: 'rejected' as const } }],
    },
    {
      guard: 'anyTargetRequiresData' as const,
      target: '#onboarding.requiresData',
      actions: [...first, 'recordRequest' as const],
    },
    {
      guard: 'policyMissingAgain' as const,
      target: '#onboarding.policyPending',
      actions: [...first, 'recordPolicyAgain' as const],
    },
    {
      guard: 'policyStillMissing' as const,
      target: '#onboarding.failed',
      actions: [
        ...first,
        {
          type: 'recordLimitFailure' as const,
          params: {
            step,
            reason: 'policy-not-recorded' as const,
            message: 'Crossmint still reports the privacy policy as not accepted',
          },
        },
      ],
    },
    // The deadline runs from the trigger, so only a poll can find it passed.
    ...(step === 'checking'
      ? [
          {
            guard: 'deadlinePassed' as const,
            target: '#onboarding.failed',
            actions: [
              {
                type: 'recordLimitFailure' as const,
                params: {
                  step,
                  reason: 'verification-deadline' as const,
                  message: 'verification stayed pending past the deadline',
                },
              },
            ],
          },
        ]
      : []),
    { target: '#onboarding.verificationPending.waiting', actions: [...first, 'schedulePoll' as const] },
  ];
}

const meta = (m: StateMeta) => m;

type C = OnboardingContext;
type E = OnboardingEvent;

/**
 * The context update of each named action, with the action's params as the machine passes them.
 * The machine wires each into `assign`; the compiled transitions (compiled.ts) call them directly,
 * so both run the same functions.
 */
export const contextUpdates = {
  scheduleNextStep: (context: C, event: E) => update.scheduleNextStep(context, event),
  scheduleRetry: (context: C, event: E, p: { step: Step }) => update.scheduleRetry(context, event, p.step),
  scheduleAfterRetryAfter: (context: C, event: E, p: { step: Step }) =>
    update.scheduleAfterRetryAfter(context, event, p.step),
  recordStepFailure: (context: C, event: E, p: { step: Step }) =>
    update.recordStepFailure(context, event, p.step),
  recordLimitFailure: (context: C, event: E, p: { step: Step; reason: FailureReason; message: string }) =>
    update.recordLimitFailure(context, event, p),
  dropUploadedDocument: (context: C, event: E) => update.dropUploadedDocument(context, event),
  startVerificationClock: (context: C, event: E) => update.startVerificationClock(context, event),
  recordVerdict: (context: C, event: E, p: { outcome: 'verified' | 'rejected' }) =>
    update.recordVerdict(context, event, p.outcome),
  recordRequest: (context: C, event: E) => update.recordRequest(context, event),
  schedulePoll: (context: C, event: E) => update.schedulePoll(context, event),
  recordPolicyAgain: (context: C, event: E) => update.recordPolicyAgain(context, event),
  resubmit: (context: C, event: E) => update.resubmit(context, event),
  restart: (context: C, event: E) => update.restart(context, event),
};

/** What a finished onboarding outputs. */
export const outputOf = (context: C): OnboardingOutput => ({ outcome: context.outcome ?? 'rejected' });

export const onboardingMachine = setup({
  types: {
    context: {} as OnboardingContext,
    events: {} as OnboardingEvent,
    input: {} as OnboardingInput,
    output: {} as OnboardingOutput,
  },
  guards,
  actions: {
    scheduleNextStep: assign(({ context, event }) => contextUpdates.scheduleNextStep(context, event)),
    scheduleRetry: assign(({ context, event }, p: { step: Step }) =>
      contextUpdates.scheduleRetry(context, event, p),
    ),
    scheduleAfterRetryAfter: assign(({ context, event }, p: { step: Step }) =>
      contextUpdates.scheduleAfterRetryAfter(context, event, p),
    ),
    recordStepFailure: assign(({ context, event }, p: { step: Step }) =>
      contextUpdates.recordStepFailure(context, event, p),
    ),
    recordLimitFailure: assign(
      ({ context, event }, p: { step: Step; reason: FailureReason; message: string }) =>
        contextUpdates.recordLimitFailure(context, event, p),
    ),
    dropUploadedDocument: assign(({ context, event }) => contextUpdates.dropUploadedDocument(context, event)),
    startVerificationClock: assign(({ context, event }) =>
      contextUpdates.startVerificationClock(context, event),
    ),
    recordVerdict: assign(({ context, event }, p: { outcome: 'verified' | 'rejected' }) =>
      contextUpdates.recordVerdict(context, event, p),
    ),
    recordRequest: assign(({ context, event }) => contextUpdates.recordRequest(context, event)),
    schedulePoll: assign(({ context, event }) => contextUpdates.schedulePoll(context, event)),
    recordPolicyAgain: assign(({ context, event }) => contextUpdates.recordPolicyAgain(context, event)),
    resubmit: assign(({ context, event }) => contextUpdates.resubmit(context, event)),
    restart: assign(({ context, event }) => contextUpdates.restart(context, event)),
  },
}).createMachine({
  id: 'onboarding',
  description: 'Hands one platform-verified user over to Crossmint KYC',
  context: ({ input }) => initialContext(input),
  initial: 'policyPending',
  output: ({ context }) => outputOf(context),
  states: {
    policyPending: {
      initial: 'recordingPolicy',
      meta: meta({ description: 'The privacy-policy acceptance is being recorded' }),
      states: {
        recordingPolicy: {
          meta: meta({
            effect: 'recordLegalDocument',
            description: 'PUT legal-documents (creates the user)',
          }),
          on: {
            POLICY_RECORDED: { target: '#onboarding.userCreated', actions: 'scheduleNextStep' },
            STEP_FAILED: onStepFailed('recordingPolicy'),
          },
        },
      },
    },
    userCreated: {
      initial: 'submittingKyc',
      meta: meta({ description: 'The user exists; its KYC data and documents are being sent' }),
      states: {
        submittingKyc: {
          meta: meta({ effect: 'upsertUser', description: 'PUT users/{locator} with every section' }),
          on: {
            USER_UPSERTED: [
              { guard: 'hasDocumentsToUpload', target: 'uploadingDocuments', actions: 'scheduleNextStep' },
              { target: 'triggering', actions: 'scheduleNextStep' },
            ],
            STEP_FAILED: onStepFailed('submittingKyc'),
          },
        },
        uploadingDocuments: {
          meta: meta({ effect: 'uploadDocument', description: 'POST documents, one type at a time' }),
          on: {
            DOCUMENT_UPLOADED: [
              {
                guard: 'moreDocumentsPending',
                target: 'uploadingDocuments',
                reenter: true,
                actions: ['dropUploadedDocument', 'scheduleNextStep'],
              },
              { target: 'triggering', actions: ['dropUploadedDocument', 'scheduleNextStep'] },
            ],
            STEP_FAILED: onStepFailed('uploadingDocuments'),
          },
        },
        triggering: {
          meta: meta({ effect: 'triggerVerification', description: 'PUT identity-verification' }),
          on: {
            VERIFICATION_STATUS: onVerificationStatus('triggering'),
            STEP_FAILED: onStepFailed('triggering'),
          },
        },
      },
    },
    verificationPending: {
      initial: 'waiting',
      meta: meta({ description: 'Crossmint is reviewing; polled with a growing interval' }),
      states: {
        waiting: {
          meta: meta({ wait: 'poll', description: 'Waits until wakeAt, then polls' }),
          on: { DUE: { target: 'checking', actions: 'scheduleNextStep' } },
        },
        checking: {
          meta: meta({ effect: 'getVerification', description: 'GET identity-verification' }),
          on: {
            VERIFICATION_STATUS: onVerificationStatus('checking'),
            STEP_FAILED: onStepFailed('checking'),
          },
        },
      },
    },
    requiresData: {
      meta: meta({ awaits: 'data', description: 'Crossmint asked for more data or documents' }),
      on: {
        DATA_SUPPLIED: { target: '#onboarding.userCreated.submittingKyc', actions: 'resubmit' },
      },
    },
    failed: {
      meta: meta({ awaits: 'operator', description: 'A permanent error an operator must look at' }),
      on: { RETRY: { target: '#onboarding.policyPending', actions: 'restart' } },
    },
    verified: {
      type: 'final',
      meta: meta({ description: 'Every target product is verified' }),
    },
    rejected: {
      type: 'final',
      meta: meta({ description: 'Crossmint rejected a target product' }),
    },
  },
});

export type OnboardingMachine = typeof onboardingMachine;
