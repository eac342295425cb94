import type { DocumentUploadRequest, LegalDocumentRequest, UserUpsertRequest } from './schemas/api.js';
import { userLocator } from './schemas/api.js';
import type { InputRecord, RecordDocument } from './schemas/record.js';

// Every write body is a pure function of the validated record, built with a fixed key order, so a
// repeated call after a crash sends byte-identical JSON and Crossmint's PUTs converge.

export function legalDocumentBody(record: InputRecord): LegalDocumentRequest {
  return { type: 'crossmint-privacy-policy', acceptedAt: record.privacyPolicyAcceptedAt };
}

export function upsertBody(record: InputRecord): UserUpsertRequest {
  const body: UserUpsertRequest = {};
  if (record.userDetails) {
    const u = record.userDetails;
    body.userDetails = {
      firstName: u.firstName,
      lastName: u.lastName,
      dateOfBirth: u.dateOfBirth,
      countryOfResidence: u.countryOfResidence,
    };
  }
  if (record.kycData) {
    const k = record.kycData;
    const kyc: NonNullable<UserUpsertRequest['kycData']> = { email: k.email };
    if (k.phoneNumber !== undefined) kyc.phoneNumber = k.phoneNumber;
    if (k.nationality !== undefined) kyc.nationality = k.nationality;
    if (k.addressOfResidence) {
      const a = k.addressOfResidence;
      kyc.addressOfResidence = {
        line1: a.line1,
        ...(a.line2 !== undefined && { line2: a.line2 }),
        city: a.city,
        postalCode: a.postalCode,
        ...(a.stateOrRegion !== undefined && { stateOrRegion: a.stateOrRegion }),
      };
    }
    if (k.identityDocument) {
      const d = k.identityDocument;
      kyc.identityDocument = { type: d.type, number: d.number, issuingCountryCode: d.issuingCountryCode };
    }
    body.kycData = kyc;
  }
  if (record.dueDiligence) body.dueDiligence = pickDefined(record.dueDiligence, DUE_DILIGENCE_KEYS);
  if (record.verificationHistory)
    body.verificationHistory = pickDefined(record.verificationHistory, HISTORY_KEYS);
  return body;
}

const DUE_DILIGENCE_KEYS = [
  'employmentStatus',
  'sourceOfFunds',
  'industry',
  'estimatedYearlyIncome',
] as const;
const HISTORY_KEYS = ['idVerificationTimestamp', 'livenessVerificationTimestamp'] as const;

function pickDefined<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** The upload body once the document's bytes are known (read from `path` or taken from `data`). */
export function documentUploadBody(
  userId: string,
  document: RecordDocument,
  data: string,
): DocumentUploadRequest {
  return {
    reference: { userLocator: userLocator(userId) },
    documentType: document.documentType,
    data,
    ...(document.expiresAt !== undefined && { expiresAt: document.expiresAt }),
  };
}
