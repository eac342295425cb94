import { describe, expect, it } from 'vitest';
import { legalDocumentBody, upsertBody } from './bodies.js';
import { InputRecord } from './schemas/record.js';

const alice = InputRecord.parse({
  userId: 'alice-1',
  privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000',
  userDetails: { firstName: 'Alice', lastName: 'Smith', dateOfBirth: '1990-01-15', countryOfResidence: 'US' },
  kycData: {
    email: 'alice@example.com',
    nationality: 'US',
    addressOfResidence: { line1: '701 S Miami Ave', city: 'Miami', postalCode: '33156', state: 'FL' },
    identityDocument: { type: 'ssn', number: '123-45-6789', issuingCountryCode: 'US' },
  },
  verificationHistory: {
    idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
    livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
  },
});

describe('write bodies', () => {
  it('emit the current spellings: acceptedAt ends in Z and state becomes stateOrRegion', () => {
    expect(legalDocumentBody(alice)).toEqual({
      type: 'crossmint-privacy-policy',
      acceptedAt: '2026-01-01T00:00:00.000Z',
    });
    const body = upsertBody(alice);
    expect(body.kycData?.addressOfResidence).toEqual({
      line1: '701 S Miami Ave',
      city: 'Miami',
      postalCode: '33156',
      stateOrRegion: 'FL',
    });
    expect(JSON.stringify(body)).not.toContain('"state"');
  });

  it('the upsert body is the seed example, byte for byte, with sections in documented order', () => {
    expect(JSON.stringify(upsertBody(alice))).toBe(
      '{"userDetails":{"firstName":"Alice","lastName":"Smith","dateOfBirth":"1990-01-15","countryOfResidence":"US"},' +
        '"kycData":{"email":"alice@example.com","nationality":"US","addressOfResidence":{"line1":"701 S Miami Ave","city":"Miami","postalCode":"33156","stateOrRegion":"FL"},' +
        '"identityDocument":{"type":"ssn","number":"123-45-6789","issuingCountryCode":"US"}},' +
        '"verificationHistory":{"idVerificationTimestamp":"2026-01-01T00:00:00.000Z","livenessVerificationTimestamp":"2026-01-01T00:00:00.000Z"}}',
    );
  });
});
