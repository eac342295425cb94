import type { Result } from 'neverthrow';
import type { UpsertOutcome } from '../ports/crossmint.js';
import type { CrossmintError } from '../ports/crossmint-error.js';
import type {
  DocumentResponse,
  DocumentType,
  EligibilityResponse,
  LegalDocumentResponse,
} from '../schemas/api.js';
import type { EffectCall } from './effects.js';
import type { OnboardingEvent } from './events.js';

/** The success value each call returns through the CrossmintPort. */
export interface EffectResults {
  recordLegalDocument: LegalDocumentResponse;
  upsertUser: UpsertOutcome;
  uploadDocument: DocumentResponse;
  triggerVerification: EligibilityResponse;
  getVerification: EligibilityResponse;
}

/**
 * The one place where Crossmint results become machine events: successes become the step's event,
 * every classified error becomes STEP_FAILED (the machine decides between waiting and failing).
 */
export function eventFromResult<C extends EffectCall>(
  call: C,
  result: Result<EffectResults[C], CrossmintError>,
  now: number,
  documentType?: DocumentType,
): OnboardingEvent {
  if (result.isErr()) {
    const { kind, message } = result.error;
    const retryAfterMs = result.error.kind === 'rate-limited' ? result.error.retryAfterMs : undefined;
    return {
      type: 'STEP_FAILED',
      now,
      error: retryAfterMs === undefined ? { kind, message } : { kind, message, retryAfterMs },
    };
  }
  const value = result.value as EffectResults[EffectCall];
  switch (call) {
    case 'recordLegalDocument':
      return { type: 'POLICY_RECORDED', now };
    case 'upsertUser':
      return { type: 'USER_UPSERTED', now, created: (value as UpsertOutcome).created };
    case 'uploadDocument':
      return {
        type: 'DOCUMENT_UPLOADED',
        now,
        documentType: documentType ?? ((value as DocumentResponse).documentType as DocumentType),
      };
    default:
      return { type: 'VERIFICATION_STATUS', now, eligibility: (value as EligibilityResponse).eligibility };
  }
}
