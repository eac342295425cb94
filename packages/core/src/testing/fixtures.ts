import type { NewOnboarding } from '../ports/store.js';
import { InputRecord, type InputRecordInput } from '../schemas/record.js';

/** Personal data that must never show up outside the encrypted record; tests search for it. */
export const CANARY = { ssn: '987-65-4320', email: 'canary@example.invalid' } as const;

/**
 * A valid, complete record (parsed, so in its current spellings); `overrides` replace whole
 * top-level sections. Every call without a `userId` override gives `user-1`.
 */
export function sampleRecord(overrides: Partial<InputRecordInput> = {}): InputRecord {
  return InputRecord.parse({
    userId: 'user-1',
    privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z',
    userDetails: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: '1990-12-10',
      countryOfResidence: 'US',
    },
    kycData: {
      email: 'ada@example.com',
      phoneNumber: '+13055550100',
      nationality: 'US',
      addressOfResidence: { line1: '1 Main St', city: 'Miami', postalCode: '33101', stateOrRegion: 'FL' },
      identityDocument: { type: 'ssn', number: '123-45-6789', issuingCountryCode: 'US' },
    },
    verificationHistory: {
      idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
      livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
    },
    ...overrides,
  });
}

/** A valid 1×1 PNG (signature, IHDR, IDAT, IEND with correct CRCs) as a data URL. */
export const TINY_PNG_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/**
 * A valid, complete record of an EU resident (Germany) identified by an ID card front and back
 * plus a selfie, with due diligence but no estimatedYearlyIncome (optional outside the US);
 * `overrides` replace whole top-level sections. Every call without a `userId` override gives `eu-user-1`.
 */
export function sampleEuRecord(overrides: Partial<InputRecordInput> = {}): InputRecord {
  return InputRecord.parse({
    userId: 'eu-user-1',
    privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z',
    userDetails: {
      firstName: 'Emmy',
      lastName: 'Noether',
      dateOfBirth: '1982-03-23',
      countryOfResidence: 'DE',
    },
    kycData: {
      email: 'emmy@example.com',
      phoneNumber: '+4930555010',
      nationality: 'DE',
      addressOfResidence: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117' },
      identityDocument: { type: 'idcard', number: 'L01X00T47', issuingCountryCode: 'DE' },
    },
    dueDiligence: {
      employmentStatus: 'full-time',
      sourceOfFunds: 'salary-disbursement',
      industry: 'technology',
    },
    verificationHistory: {
      idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
      livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
    },
    documents: [
      { documentType: 'id-idcard-front', data: TINY_PNG_DATA_URL },
      { documentType: 'id-idcard-back', data: TINY_PNG_DATA_URL },
      { documentType: 'selfie-front', data: TINY_PNG_DATA_URL },
    ],
    ...overrides,
  });
}

/** A record carrying the CANARY SSN and email. */
export function canaryRecord(userId = 'canary-1'): InputRecord {
  const base = sampleRecord();
  return sampleRecord({
    userId,
    kycData: {
      ...base.kycData!,
      email: CANARY.email,
      identityDocument: { type: 'ssn', number: CANARY.ssn, issuingCountryCode: 'US' },
    },
  });
}

/** A new onboarding for `record`, waiting in `policyPending` and due at `wakeAt` (0 unless given). */
export function sampleOnboarding(
  record: InputRecord,
  overrides: Partial<Omit<NewOnboarding, 'record'>> = {},
): NewOnboarding {
  return {
    record,
    state: 'policyPending',
    snapshot: { value: 'policyPending', context: { userId: record.userId, attempts: 0 } },
    machineVersion: 1,
    wakeAt: 0,
    ...overrides,
  };
}
