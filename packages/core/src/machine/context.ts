import type { CrossmintErrorKind } from '../ports/crossmint-error.js';
import type { DocumentType, ProductEligibility, ProductType } from '../schemas/api.js';

/** Retry, polling and deadline settings: state of the machine, so they are visible and tested. */
export interface OnboardingPolicy {
  /** Attempts of one step that failed transiently before the onboarding fails. */
  maxAttempts: number;
  /** First backoff delay; doubles with each attempt. */
  baseDelayMs: number;
  /** No backoff wait is longer than this. */
  maxDelayMs: number;
  /** 429 answers tolerated for one step before it fails (they do not use up `maxAttempts`). */
  maxThrottled: number;
  /** A Retry-After longer than this is shortened to it. */
  maxRetryAfterMs: number;
  /** First wait between verification polls; doubles with each poll. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** Times the privacy policy is recorded again when Crossmint says it is missing. */
  maxPolicyRounds: number;
  /** How long from the trigger a verification may stay pending before it fails for an operator. */
  verificationDeadlineMs: number;
}

export const DEFAULT_POLICY: OnboardingPolicy = {
  maxAttempts: 8,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  maxThrottled: 30,
  maxRetryAfterMs: 15 * 60_000,
  pollInitialMs: 5_000,
  pollMaxMs: 5 * 60_000,
  maxPolicyRounds: 2,
  verificationDeadlineMs: 7 * 24 * 3_600_000,
};

/** Policy settings to change; an undefined one keeps its default. */
export type PolicyOverrides = { [K in keyof OnboardingPolicy]?: OnboardingPolicy[K] | undefined };

/** DEFAULT_POLICY with the settings `overrides` gives (undefined ones ignored). */
export function policyWith(overrides: PolicyOverrides | undefined): OnboardingPolicy {
  const policy = { ...DEFAULT_POLICY };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value !== undefined) policy[key as keyof OnboardingPolicy] = value;
  }
  return policy;
}

export interface OnboardingInput {
  userId: string;
  /** Products that must be verified; default offramp. */
  targets?: readonly ProductType[] | undefined;
  /** Document types the record carries, uploaded once the upsert is done. */
  documentTypes?: readonly DocumentType[] | undefined;
  /** Seeds the backoff jitter, so a replay computes the same waits. */
  seed: number;
  /** When the onboarding was submitted (epoch ms): its first call is due then. */
  now: number;
  policy?: PolicyOverrides | undefined;
}

export type Step = 'recordingPolicy' | 'submittingKyc' | 'uploadingDocuments' | 'triggering' | 'checking';

/**
 * Why a stored onboarding was set aside by the engine instead of driven: its row could not be
 * restored (`unreadable-row`), its record could not be decrypted (`record-unreadable`), or its
 * record no longer passes validation (`record-invalid`). Each moves it to `failed`; after repair,
 * an operator's retry starts it afresh from its record.
 */
export const QUARANTINE_REASONS = ['unreadable-row', 'record-unreadable', 'record-invalid'] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/** Why an onboarding failed: a Crossmint error kind, one of the machine's own limits, or a quarantine. */
export type FailureReason =
  | CrossmintErrorKind
  | 'verification-deadline'
  | 'policy-not-recorded'
  | QuarantineReason;

export interface StepError {
  step: Step;
  kind: CrossmintErrorKind;
  /** Personal-data-free message from the adapter. */
  message: string;
}

export interface Failure {
  /** The step that failed; null when the engine quarantined the onboarding outside any step. */
  step: Step | null;
  reason: FailureReason;
  message: string;
}

/** Everything the machine remembers. Never personal data: ids, statuses, counters and times only. */
export interface OnboardingContext {
  userId: string;
  targets: ProductType[];
  seed: number;
  policy: OnboardingPolicy;
  /** Documents still to upload in the current round. */
  pendingDocuments: DocumentType[];
  /** Epoch ms at which the pending effect (or wake-up) is due; null when nothing is scheduled. */
  wakeAt: number | null;
  /** Failed attempts of the current step (transient and unexpected errors). */
  attempts: number;
  /** 429 answers for the current step. */
  throttled: number;
  pollCount: number;
  policyRounds: number;
  verificationStartedAt: number | null;
  eligibility: ProductEligibility[] | null;
  requested: { missingData: string[]; missingDocuments: string[] } | null;
  lastError: StepError | null;
  failure: Failure | null;
  outcome: 'verified' | 'rejected' | null;
}

export function initialContext(input: OnboardingInput): OnboardingContext {
  return {
    userId: input.userId,
    targets: [...(input.targets ?? ['offramp'])],
    seed: input.seed,
    policy: policyWith(input.policy),
    pendingDocuments: [...(input.documentTypes ?? [])],
    wakeAt: input.now,
    attempts: 0,
    throttled: 0,
    pollCount: 0,
    policyRounds: 0,
    verificationStartedAt: null,
    eligibility: null,
    requested: null,
    lastError: null,
    failure: null,
    outcome: null,
  };
}
