// Input records written out as a user would, typed with the package's own input type.
import type { InputRecordInput } from '@kyc-handoff/core';

/** A 2×2 PNG, as a user's own scans would arrive: an inline data URL. */
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAF0lEQVR4nGP4////iRMnGE6cOPH//38ASrQKq3kVv7EAAAAASUVORK5CYII=';

const verificationHistory = {
  idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
  livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
};

/**
 * A US resident identified by an SSN (no due diligence needed in Florida). The sandbox rejects
 * anyone whose last name is `Rejected`.
 */
export function usResident(userId: string, lastName = 'Smith'): InputRecordInput {
  return {
    userId,
    privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z',
    userDetails: { firstName: 'Alice', lastName, dateOfBirth: '1990-01-15', countryOfResidence: 'US' },
    kycData: {
      email: 'alice@example.com',
      addressOfResidence: {
        line1: '701 S Miami Ave',
        city: 'Miami',
        postalCode: '33156',
        stateOrRegion: 'FL',
      },
      identityDocument: { type: 'ssn', number: '123-45-6789', issuingCountryCode: 'US' },
    },
    verificationHistory,
  };
}

/** An EU resident with an ID card (front and back) and a selfie; due diligence without income. */
export function euResident(userId: string): InputRecordInput {
  return {
    userId,
    privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z',
    userDetails: {
      firstName: 'Emma',
      lastName: 'Weber',
      dateOfBirth: '1988-04-02',
      countryOfResidence: 'DE',
    },
    kycData: {
      email: 'emma@example.com',
      nationality: 'DE',
      addressOfResidence: { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117' },
      identityDocument: { type: 'idcard', number: 'L01X00T47', issuingCountryCode: 'DE' },
    },
    // Outside the US, due diligence may leave out estimatedYearlyIncome.
    dueDiligence: {
      employmentStatus: 'full-time',
      sourceOfFunds: 'salary-disbursement',
      industry: 'technology',
    },
    verificationHistory,
    documents: [
      { documentType: 'id-idcard-front', data: PNG },
      { documentType: 'id-idcard-back', data: PNG },
      { documentType: 'selfie-front', data: PNG },
    ],
  };
}
