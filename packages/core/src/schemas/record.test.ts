import { describe, expect, it } from 'vitest';
import { CANARY, sampleRecord } from '../testing/fixtures.js';
import { type FieldIssue, parseRecord, SuppliedData } from './record.js';

const dataUrl = 'data:image/png;base64,aGVsbG8=';

/** A valid record as a platform writes it, with `change` applied to one top-level section. */
function input(change: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(sampleRecord()), ...change };
}

function issuesOf(value: unknown): FieldIssue[] {
  const result = parseRecord(value);
  if (result.ok) throw new Error('expected the record to be refused');
  return result.issues;
}

describe('parseRecord accepts', () => {
  it('the sample record as it is', () => {
    expect(parseRecord(input())).toEqual({ ok: true, record: sampleRecord() });
  });

  it('the older spellings, and returns the current ones', () => {
    const base = sampleRecord();
    const result = parseRecord(
      input({
        privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000',
        kycData: {
          ...base.kycData,
          addressOfResidence: { line1: '701 S Miami Ave', city: 'Miami', postalCode: '33156', state: 'FL' },
        },
        verificationHistory: { idVerificationTimestamp: '2026-01-01T00:00' },
      }),
    );
    expect(result.ok && result.record.privacyPolicyAcceptedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(result.ok && result.record.kycData?.addressOfResidence).toEqual({
      line1: '701 S Miami Ave',
      city: 'Miami',
      postalCode: '33156',
      stateOrRegion: 'FL',
    });
    expect(result.ok && result.record.verificationHistory?.idVerificationTimestamp).toBe('2026-01-01T00:00Z');
  });

  it('a record with only userId and privacyPolicyAcceptedAt (every section is optional)', () => {
    expect(parseRecord({ userId: 'u1', privacyPolicyAcceptedAt: '2026-01-01T00:00:00Z' }).ok).toBe(true);
  });

  it('documents given by path or by inline data', () => {
    const documents = [
      { documentType: 'id-passport', path: 'docs/passport.png', expiresAt: '2030-12-31' },
      { documentType: 'selfie-front', data: dataUrl },
    ];
    expect(parseRecord(input({ documents })).ok).toBe(true);
  });
});

describe('parseRecord refuses, naming the field and the reason', () => {
  it.each<[string, Record<string, unknown>, string, string | RegExp]>([
    ['no userId', { userId: undefined }, 'userId', 'is required'],
    ['a userId with a space', { userId: 'user 1' }, 'userId', /letters, digits/],
    ['a userId over 128 characters', { userId: 'u'.repeat(129) }, 'userId', /1-128 characters/],
    [
      'no privacy-policy acceptance',
      { privacyPolicyAcceptedAt: undefined },
      'privacyPolicyAcceptedAt',
      'is required',
    ],
    [
      'a privacy-policy acceptance on 30 February',
      { privacyPolicyAcceptedAt: '2026-02-30T00:00:00Z' },
      'privacyPolicyAcceptedAt',
      /ISO 8601/,
    ],
    [
      'a date of birth on 30 February',
      { userDetails: { ...sampleRecord().userDetails, dateOfBirth: '2026-02-30' } },
      'userDetails.dateOfBirth',
      'must be a calendar date YYYY-MM-DD',
    ],
    [
      'a country of residence that is a name',
      { userDetails: { ...sampleRecord().userDetails, countryOfResidence: 'Germany' } },
      'userDetails.countryOfResidence',
      /ISO 3166-1 alpha-2/,
    ],
    [
      'a nationality in lower case',
      { kycData: { ...sampleRecord().kycData, nationality: 'us' } },
      'kycData.nationality',
      /ISO 3166-1 alpha-2/,
    ],
    [
      'a bad email',
      { kycData: { ...sampleRecord().kycData, email: 'ada.example.com' } },
      'kycData.email',
      'must be an email address',
    ],
    [
      'a phone number without +',
      { kycData: { ...sampleRecord().kycData, phoneNumber: '3055550100' } },
      'kycData.phoneNumber',
      /E\.164/,
    ],
    [
      'a first name over 100 characters',
      { userDetails: { ...sampleRecord().userDetails, firstName: 'A'.repeat(101) } },
      'userDetails.firstName',
      'is too long (maximum 100)',
    ],
    [
      'an address line over 200 characters',
      {
        kycData: {
          ...sampleRecord().kycData,
          addressOfResidence: { line1: 'x'.repeat(201), city: 'Miami', postalCode: '33101' },
        },
      },
      'kycData.addressOfResidence.line1',
      'is too long (maximum 200)',
    ],
    [
      'an empty city',
      {
        kycData: {
          ...sampleRecord().kycData,
          addressOfResidence: { line1: '1 Main St', city: '  ', postalCode: '33101' },
        },
      },
      'kycData.addressOfResidence.city',
      'must not be empty',
    ],
    [
      'an unknown document type',
      { documents: [{ documentType: 'id-driving-licence', path: 'a.png' }] },
      'documents.0.documentType',
      /must be one of "id-ssn"/,
    ],
    [
      'a document with both path and data',
      { documents: [{ documentType: 'id-passport', path: 'a.png', data: dataUrl }] },
      'documents.0.path',
      'give exactly one of path or data',
    ],
    [
      'a document with neither path nor data',
      { documents: [{ documentType: 'id-passport' }] },
      'documents.0.path',
      'give exactly one of path or data',
    ],
    [
      'a document whose data is not a data URL',
      { documents: [{ documentType: 'id-passport', data: 'aGVsbG8=' }] },
      'documents.0.data',
      /base64 data URL/,
    ],
    [
      'the same document type twice',
      {
        documents: [
          { documentType: 'id-passport', path: 'a.png' },
          { documentType: 'id-passport', path: 'b.png' },
        ],
      },
      'documents',
      'each documentType may appear only once',
    ],
    [
      'more than 20 documents',
      {
        documents: Array.from({ length: 21 }, (_, i) => ({ documentType: 'id-passport', path: `${i}.png` })),
      },
      'documents',
      'is too long (maximum 20)',
    ],
  ])('%s', (_, change, field, reason) => {
    const issues = issuesOf(input(change));
    const issue = issues.find((i) => i.field === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    if (typeof reason === 'string') expect(issue?.reason).toBe(reason);
    else expect(issue?.reason).toMatch(reason);
  });

  it('a document over 10 MB is refused', () => {
    const big = `data:image/png;base64,${'A'.repeat(Math.ceil((10 * 1024 * 1024 * 4) / 3) + 8)}`;
    const issues = issuesOf(input({ documents: [{ documentType: 'id-passport', data: big }] }));
    expect(issues).toEqual([{ field: 'documents.0.data', reason: 'must be at most 10 MB once decoded' }]);
  });

  it('something that is not an object is refused as a whole record', () => {
    expect(issuesOf('not a record')).toEqual([{ field: '(record)', reason: expect.any(String) }]);
  });

  it('the userId of a refused record is returned when it is itself valid, so the refusal can name the user', () => {
    const refused = parseRecord(input({ userId: 'alice-1', privacyPolicyAcceptedAt: 'yesterday' }));
    expect(refused).toMatchObject({ ok: false, userId: 'alice-1' });
    const anonymous = parseRecord(input({ userId: 'not valid!', privacyPolicyAcceptedAt: 'yesterday' }));
    expect(anonymous).toMatchObject({ ok: false, userId: undefined });
  });

  // BUG (schemas/record.ts, safeReason): zod 4 fills `issue.input` only when parsing with
  // `reportInput: true`, so `issue.input === undefined` is always true and every wrong type is
  // reported as "is required". A platform that sends `lastName: 42` is told the field is missing.
  // Fix: tell the cases apart another way (e.g. zod's `received` in the default message, or the
  // `expected`/`input` with reportInput, never echoing the value).
  it('a field of the wrong type is reported as of the wrong type, not as missing', () => {
    const issues = issuesOf(input({ userDetails: { ...sampleRecord().userDetails, lastName: 42 } }));
    expect(issues).toEqual([{ field: 'userDetails.lastName', reason: 'must be string' }]);
  });
});

describe('refusals never contain the offending value', () => {
  // The canary SSN and email put where they are invalid: every message must name the field only.
  const canaryPositions: [string, Record<string, unknown>][] = [
    ['userId', { userId: CANARY.email.replace('@', ' at ') }],
    ['privacyPolicyAcceptedAt', { privacyPolicyAcceptedAt: CANARY.ssn }],
    ['date of birth', { userDetails: { ...sampleRecord().userDetails, dateOfBirth: CANARY.ssn } }],
    [
      'country of residence',
      { userDetails: { ...sampleRecord().userDetails, countryOfResidence: CANARY.email } },
    ],
    ['email', { kycData: { ...sampleRecord().kycData, email: CANARY.ssn } }],
    ['phone number', { kycData: { ...sampleRecord().kycData, phoneNumber: CANARY.email } }],
    [
      'identity document number over 50 characters',
      {
        kycData: {
          ...sampleRecord().kycData,
          identityDocument: {
            type: 'ssn',
            number: `${CANARY.ssn} ${CANARY.email} ${'9'.repeat(30)}`,
            issuingCountryCode: 'US',
          },
        },
      },
    ],
    [
      'issuing country',
      {
        kycData: {
          ...sampleRecord().kycData,
          identityDocument: { type: 'ssn', number: CANARY.ssn, issuingCountryCode: CANARY.email },
        },
      },
    ],
    ['document type', { documents: [{ documentType: CANARY.ssn, path: 'a.png' }] }],
    ['document data', { documents: [{ documentType: 'id-passport', data: CANARY.email }] }],
    [
      'document expiry',
      { documents: [{ documentType: 'id-passport', path: 'a.png', expiresAt: CANARY.ssn }] },
    ],
    ['verification timestamp', { verificationHistory: { idVerificationTimestamp: CANARY.ssn } }],
    ['a section of the wrong type', { kycData: CANARY.email }],
  ];

  it.each(canaryPositions)('a canary in the %s is refused without being echoed', (_, change) => {
    const result = parseRecord(input(change));
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).not.toContain(CANARY.ssn);
    expect(text).not.toContain(CANARY.email);
    expect(text).not.toContain('canary');
  });

  it('all canaries at once: every issue names a field, none carries a value', () => {
    const all = input({
      privacyPolicyAcceptedAt: CANARY.ssn,
      userDetails: {
        ...sampleRecord().userDetails,
        dateOfBirth: CANARY.ssn,
        countryOfResidence: CANARY.email,
      },
      kycData: { email: CANARY.ssn, phoneNumber: CANARY.email, nationality: CANARY.ssn },
      verificationHistory: { idVerificationTimestamp: CANARY.email },
      documents: [{ documentType: CANARY.ssn, data: CANARY.email, expiresAt: CANARY.ssn }],
    });
    const issues = issuesOf(all);
    expect(issues.length).toBeGreaterThan(5);
    for (const issue of issues) {
      expect(issue.field).not.toBe('');
      expect(issue.reason).not.toBe('');
      expect(`${issue.field} ${issue.reason}`).not.toMatch(/987-65-4320|canary/);
    }
  });
});

describe('SuppliedData', () => {
  it('accepts any subset of sections and documents, without userId or privacy policy', () => {
    expect(
      SuppliedData.safeParse({ documents: [{ documentType: 'selfie-front', data: dataUrl }] }).success,
    ).toBe(true);
    expect(SuppliedData.safeParse({}).success).toBe(true);
  });

  it('reads a privacy-policy acceptance without Z with Z', () => {
    expect(
      SuppliedData.parse({ privacyPolicyAcceptedAt: '2026-01-01T00:00:00' }).privacyPolicyAcceptedAt,
    ).toBe('2026-01-01T00:00:00Z');
  });
});
