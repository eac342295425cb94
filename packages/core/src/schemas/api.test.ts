import { describe, expect, it } from 'vitest';
import {
  Address,
  DocumentData,
  DocumentResponse,
  DocumentUploadRequest,
  DocumentUploadRequestLenient,
  EligibilityResponse,
  ErrorBody,
  KycData,
  LegalDocumentRequest,
  LegalDocumentRequestLenient,
  LegalDocumentResponse,
  MAX_DOCUMENT_BYTES,
  UserResponse,
  UserUpsertRequest,
  userLocator,
} from './api.js';

/** A data URL whose base64 payload decodes to exactly `bytes` bytes. */
const dataUrlOf = (bytes: number) => `data:image/png;base64,${Buffer.alloc(bytes, 7).toString('base64')}`;

describe('documented inconsistencies are tolerated on input and sent in the current spelling', () => {
  it('an address with the older `state` is read as stateOrRegion', () => {
    const address = Address.parse({
      line1: '701 S Miami Ave',
      city: 'Miami',
      postalCode: '33156',
      state: 'FL',
    });
    expect(address).toEqual({
      line1: '701 S Miami Ave',
      city: 'Miami',
      postalCode: '33156',
      stateOrRegion: 'FL',
    });
    expect(address).not.toHaveProperty('state');
  });

  it('when both spellings are present, stateOrRegion wins', () => {
    const address = Address.parse({
      line1: 'a',
      city: 'b',
      postalCode: 'c',
      state: 'XX',
      stateOrRegion: 'FL',
    });
    expect(address.stateOrRegion).toBe('FL');
  });

  it('an address without a region has neither key', () => {
    expect(Object.keys(Address.parse({ line1: 'a', city: 'b', postalCode: 'c' }))).toEqual([
      'line1',
      'city',
      'postalCode',
    ]);
  });

  it('verification timestamps without Z are accepted and sent with Z', () => {
    const body = UserUpsertRequest.parse({
      verificationHistory: { idVerificationTimestamp: '2026-01-01T00:00:00.000' },
    });
    expect(body.verificationHistory?.idVerificationTimestamp).toBe('2026-01-01T00:00:00.000Z');
  });

  it('the legal-document body we send must end in Z (strict)', () => {
    const withoutZ = { type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00.000' };
    expect(LegalDocumentRequest.safeParse(withoutZ).success).toBe(false);
    expect(
      LegalDocumentRequest.safeParse({ ...withoutZ, acceptedAt: '2026-01-01T00:00:00.000Z' }).success,
    ).toBe(true);
  });

  it('a server accepts the documented example without Z (lenient) and reads it with Z', () => {
    const withoutZ = { type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00.000' };
    expect(LegalDocumentRequestLenient.parse(withoutZ).acceptedAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('terms of service need a region; the privacy policy does not', () => {
    const tos = { type: 'crossmint-terms-of-service', acceptedAt: '2026-01-01T00:00:00.000Z' };
    const refused = LegalDocumentRequest.safeParse(tos);
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['region']);
    expect(LegalDocumentRequest.safeParse({ ...tos, region: 'eu' }).success).toBe(true);
    expect(LegalDocumentRequest.safeParse({ ...tos, region: 'mars' }).success).toBe(false);
  });

  it('a legal document of an unknown type is refused', () => {
    expect(
      LegalDocumentRequest.safeParse({ type: 'cookie-policy', acceptedAt: '2026-01-01T00:00:00.000Z' })
        .success,
    ).toBe(false);
  });

  it('an upload with userLocator at the top level (older docs) is read into reference', () => {
    const body = DocumentUploadRequestLenient.parse({
      userLocator: 'userId:u1',
      documentType: 'id-passport',
      data: dataUrlOf(3),
    });
    expect(body.reference).toEqual({ userLocator: 'userId:u1' });
    expect(body).not.toHaveProperty('userLocator');
    expect(DocumentUploadRequest.safeParse(body).success).toBe(true);
  });

  it('an upload without any userLocator is refused, naming reference.userLocator', () => {
    const refused = DocumentUploadRequestLenient.safeParse({
      documentType: 'id-passport',
      data: dataUrlOf(3),
    });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['reference', 'userLocator']);
  });
});

describe('request fields that are refused', () => {
  it.each([
    [
      'a user-details date of birth that is not a calendar day',
      { userDetails: { dateOfBirth: '2026-02-30' } },
    ],
    ['a lower-case country of residence', { userDetails: { countryOfResidence: 'us' } }],
    ['a three-letter country of residence', { userDetails: { countryOfResidence: 'USA' } }],
    ['a first name over 100 characters', { userDetails: { firstName: 'A'.repeat(101) } }],
    ['a last name of only spaces', { userDetails: { lastName: '   ' } }],
  ])('%s', (_, change) => {
    const userDetails = {
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: '1990-12-10',
      countryOfResidence: 'US',
      ...change.userDetails,
    };
    expect(UserUpsertRequest.safeParse({ userDetails }).success).toBe(false);
  });

  it.each([
    ['not an email', 'ada.example.com'],
    ['two @', 'ada@@example.com'],
    ['no domain', 'ada@'],
    ['over 254 characters', `${'a'.repeat(250)}@example.com`],
  ])('an email that is %s is refused', (_, email) => {
    expect(KycData.safeParse({ email }).success).toBe(false);
  });

  it('an identity document issued by a country that is not a code is refused', () => {
    const identityDocument = { type: 'ssn', number: '123-45-6789', issuingCountryCode: 'United States' };
    expect(KycData.safeParse({ email: 'ada@example.com', identityDocument }).success).toBe(false);
  });

  it.each([
    ['an unknown document type', { documentType: 'id-driving-licence' }],
    ['an expiry that is not a calendar day', { expiresAt: '2030-02-30' }],
    ['data that is not a data URL', { data: 'aGVsbG8=' }],
    ['data that is a URL', { data: 'https://example.com/passport.png' }],
  ])('an upload with %s is refused', (_, change) => {
    const body = { reference: { userLocator: 'userId:u1' }, documentType: 'id-passport', data: dataUrlOf(3) };
    expect(DocumentUploadRequest.safeParse({ ...body, ...change }).success).toBe(false);
  });
});

describe('the 10 MB document limit (decoded size)', () => {
  it('a small image is accepted', () => {
    expect(DocumentData.safeParse(dataUrlOf(1_024)).success).toBe(true);
  });

  it('a document one byte under 10 MB is accepted', () => {
    expect(DocumentData.safeParse(dataUrlOf(MAX_DOCUMENT_BYTES - 1)).success).toBe(true);
  });

  it('a document over 10 MB is refused with a message saying so', () => {
    const refused = DocumentData.safeParse(dataUrlOf(MAX_DOCUMENT_BYTES + 1));
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('must be at most 10 MB once decoded');
  });

  // BUG (schemas/api.ts, DocumentData): the decoded size is estimated as payload length * 3 / 4,
  // which counts the base64 padding `=` as data. 10 MB (10 485 760 bytes) is not a multiple of 3,
  // so its payload ends in `==` and is estimated at 10 485 762 bytes: a document of exactly the
  // limit is refused. Subtracting the padding characters fixes it.
  it('a document of exactly 10 MB is accepted (the limit is inclusive)', () => {
    expect(DocumentData.safeParse(dataUrlOf(MAX_DOCUMENT_BYTES)).success).toBe(true);
  });
});

describe('responses are read loosely', () => {
  it('the user response keeps extra fields and reads the sandbox legalDocuments list', () => {
    const response = UserResponse.parse({
      userId: 'u1',
      userDetails: true,
      kycData: true,
      dueDiligence: false,
      verificationHistory: true,
      email: 'alice@example.com',
      legalDocuments: [
        { type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00.000Z', isValidVersion: true },
        { type: 'crossmint-terms-of-service', acceptedAt: '2026-01-01T00:00:00.000Z', region: 'us' },
      ],
      somethingNew: { nested: 1 },
    });
    expect(response.legalDocuments).toHaveLength(2);
    expect(response.legalDocuments?.[1]).toHaveProperty('region', 'us');
    expect(response).toHaveProperty('somethingNew', { nested: 1 });
  });

  it('the user response still needs its section booleans', () => {
    expect(UserResponse.safeParse({ userId: 'u1', userDetails: true }).success).toBe(false);
  });

  it('the eligibility list drops unknown product types, and keeps unknown missing items and extra fields', () => {
    const response = EligibilityResponse.parse({
      eligibility: [
        { type: 'onramp', status: 'pending-review' },
        {
          type: 'offramp',
          status: 'requires-data',
          missingData: ['kyc-data', 'tax-residency'],
          missingDocuments: ['id', 'utility-bill'],
        },
        { type: 'card-issuing', status: 'not-started', reason: 'new' },
      ],
      requestId: 'r1',
    });
    // "Product types: `onramp`, `onramp-light`, `offramp`, `regulated-transfer`." (crossmint-users-api.md)
    expect(response.eligibility.map((e) => e.type)).toEqual(['onramp', 'offramp']);
    expect(response.eligibility[1]?.missingDocuments).toEqual(['id', 'utility-bill']);
    expect(response).toHaveProperty('requestId', 'r1');
  });

  it('an eligibility status outside the documented six is refused, for an unknown product too', () => {
    expect(
      EligibilityResponse.safeParse({ eligibility: [{ type: 'offramp', status: 'approved' }] }).success,
    ).toBe(false);
    expect(
      EligibilityResponse.safeParse({ eligibility: [{ type: 'card-issuing', status: 'approved' }] }).success,
    ).toBe(false);
  });

  it('legal-document, document and error responses keep extra fields', () => {
    expect(LegalDocumentResponse.parse({ acceptedAt: 'x', extra: 1 })).toHaveProperty('extra', 1);
    expect(
      DocumentResponse.parse({ id: 'doc_1', documentType: 'id-passport', createdAt: 'now', size: 3 }),
    ).toHaveProperty('size', 3);
    expect(ErrorBody.parse({ message: 'nope', details: [] })).toHaveProperty('details', []);
    expect(ErrorBody.parse({ error: true, message: 'nope', code: 'E1' }).code).toBe('E1');
  });
});

describe('userLocator', () => {
  it('prefixes the id with userId:', () => {
    expect(userLocator('alice-1')).toBe('userId:alice-1');
  });
});
