import type { CrossmintErrorKind } from '../ports/crossmint-error.js';
import type { DocumentType, ProductEligibility } from '../schemas/api.js';

// Every event carries `now` (epoch ms) from the engine: the machine has no clock of its own.

export type OnboardingEvent =
  | { type: 'POLICY_RECORDED'; now: number }
  | { type: 'USER_UPSERTED'; now: number; created: boolean }
  | { type: 'DOCUMENT_UPLOADED'; now: number; documentType: DocumentType }
  /** The eligibility list from the trigger or from a poll. */
  | { type: 'VERIFICATION_STATUS'; now: number; eligibility: ProductEligibility[] }
  | {
      type: 'STEP_FAILED';
      now: number;
      error: { kind: CrossmintErrorKind; message: string; retryAfterMs?: number };
    }
  /** A wait is over. */
  | { type: 'DUE'; now: number }
  /** The platform supplied what Crossmint asked for; the documents listed are uploaded in the resubmission. */
  | { type: 'DATA_SUPPLIED'; now: number; documentTypes: DocumentType[] }
  /** An operator sends a failed onboarding back for another try. */
  | { type: 'RETRY'; now: number };

export type OnboardingEventType = OnboardingEvent['type'];
