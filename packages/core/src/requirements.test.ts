import { describe, expect, it } from 'vitest';
import { isComplete, type RequirementsSubject, regionOf, requirementsFor } from './requirements.js';
import type { DocumentType, DueDiligence } from './schemas/api.js';
import { sampleEuRecord } from './testing/fixtures.js';

// The region table of docs "What each region must provide (for on/offramp)", one row at a time.
// Each subject starts complete for its region and changes only what the row is about.

const HISTORY = {
  idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
  livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
};
const DUE_DILIGENCE = { estimatedYearlyIncome: 'income-50k-100k' };
/** "So an EU, UK or LATAM resident's due diligence is complete with employmentStatus, sourceOfFunds and industry alone." */
const WITHOUT_INCOME: DueDiligence = {
  employmentStatus: 'full-time',
  sourceOfFunds: 'salary-disbursement',
  industry: 'financial-institution',
};
const docs = (...types: DocumentType[]) => types.map((documentType) => ({ documentType }));

/** A US resident of `state` with an SSN, a phone number and verification history: nothing missing. */
function usResident(state = 'FL', changes: Partial<RequirementsSubject> = {}): RequirementsSubject {
  return {
    userDetails: { countryOfResidence: 'US' },
    kycData: {
      phoneNumber: '+13055550100',
      identityDocument: { type: 'ssn', number: '123-45-6789', issuingCountryCode: 'US' },
      addressOfResidence: {
        line1: '1 Main St',
        city: 'Somewhere',
        postalCode: '10001',
        stateOrRegion: state,
      },
    },
    verificationHistory: HISTORY,
    ...changes,
  };
}

/** A resident of `country` (outside the US) with due diligence, passport and selfie: nothing missing. */
function residentOf(country: string, changes: Partial<RequirementsSubject> = {}): RequirementsSubject {
  return {
    userDetails: { countryOfResidence: country },
    kycData: {
      identityDocument: { type: 'passport', number: 'X1234567', issuingCountryCode: country },
    },
    dueDiligence: DUE_DILIGENCE,
    verificationHistory: HISTORY,
    documents: docs('id-passport', 'selfie-front'),
    ...changes,
  };
}

const usKyc = usResident().kycData!;

describe('requirementsFor: US residents (offramp)', () => {
  it.each<[string, RequirementsSubject, string[]]>([
    ['with an SSN and every required section: nothing missing', usResident(), []],
    [
      'identified by passport instead of SSN: kyc-data',
      usResident('FL', {
        kycData: { ...usKyc, identityDocument: { type: 'passport', number: 'X1', issuingCountryCode: 'US' } },
      }),
      ['kyc-data'],
    ],
    [
      'without any identity document: kyc-data',
      usResident('FL', { kycData: { phoneNumber: '+13055550100' } }),
      ['kyc-data'],
    ],
    ['without kycData at all: kyc-data', usResident('FL', { kycData: undefined }), ['kyc-data']],
  ])('a US resident %s', (_, subject, missingData) => {
    const requirements = requirementsFor(subject, 'offramp');
    expect(requirements.region).toBe('us');
    expect(requirements.missingData).toEqual(missingData);
    expect(requirements.missingDocuments).toEqual([]);
  });

  it('a US resident without a phone number gets a warning, not missing data (the documented example verifies)', () => {
    const requirements = requirementsFor(
      usResident('FL', { kycData: { identityDocument: usKyc.identityDocument } }),
    );
    expect(requirements.missingData).toEqual([]);
    expect(requirements.warnings).toEqual([expect.stringContaining('kycData.phoneNumber')]);
    expect(isComplete(requirements)).toBe(true);
  });

  it('a US resident with a phone number gets no warning', () => {
    expect(requirementsFor(usResident()).warnings).toEqual([]);
  });

  it.each(['NY', 'NC', 'TN', 'TX', 'VA', 'VT'])(
    'a resident of %s without dueDiligence misses due-diligence',
    (state) => {
      expect(requirementsFor(usResident(state)).missingData).toEqual(['due-diligence']);
      expect(requirementsFor(usResident(state, { dueDiligence: DUE_DILIGENCE })).missingData).toEqual([]);
    },
  );

  it('the state is matched case-insensitively (ny is NY)', () => {
    expect(requirementsFor(usResident('ny')).missingData).toEqual(['due-diligence']);
  });

  it.each(['FL', 'CA', 'WA', 'IL'])('a resident of %s without dueDiligence is fine', (state) => {
    expect(requirementsFor(usResident(state)).missingData).toEqual([]);
  });

  it('a US resident without a state is not asked for due diligence', () => {
    const { addressOfResidence: _, ...kycWithoutAddress } = usKyc;
    expect(requirementsFor(usResident('FL', { kycData: kycWithoutAddress })).missingData).toEqual([]);
  });

  it.each(['FL', 'NY'])(
    'a resident of %s who sends dueDiligence without estimatedYearlyIncome misses due-diligence',
    (state) => {
      const subject = usResident(state, { dueDiligence: WITHOUT_INCOME });
      expect(requirementsFor(subject).missingData).toEqual(['due-diligence']);
    },
  );

  it('a US resident needs no document upload (the SSN identifies them)', () => {
    expect(requirementsFor(usResident('FL', { documents: [] })).missingDocuments).toEqual([]);
  });
});

describe('requirementsFor: EU/EEA residents (offramp)', () => {
  it.each<[string, RequirementsSubject, string[], string[]]>([
    ['passport and selfie: nothing missing', residentOf('DE'), [], []],
    [
      'ID card front and back and selfie: nothing missing',
      residentOf('FR', { documents: docs('id-idcard-front', 'id-idcard-back', 'selfie-front') }),
      [],
      [],
    ],
    [
      'only the front of the ID card: id',
      residentOf('IT', { documents: docs('id-idcard-front', 'selfie-front') }),
      [],
      ['id'],
    ],
    [
      'only the back of the ID card: id',
      residentOf('IT', { documents: docs('id-idcard-back', 'selfie-front') }),
      [],
      ['id'],
    ],
    ['passport without selfie: selfie', residentOf('NL', { documents: docs('id-passport') }), [], ['selfie']],
    [
      'a left or right selfie instead of the front one: selfie',
      residentOf('NL', { documents: docs('id-passport', 'selfie-left', 'selfie-right') }),
      [],
      ['selfie'],
    ],
    ['no documents at all: id and selfie', residentOf('PL', { documents: undefined }), [], ['id', 'selfie']],
    [
      'a residency permit, resident of Spain: nothing missing',
      residentOf('ES', { documents: docs('id-residency-permit', 'selfie-front') }),
      [],
      [],
    ],
    [
      'a residency permit, resident of Portugal: id (the permit counts only for Spain)',
      residentOf('PT', { documents: docs('id-residency-permit', 'selfie-front') }),
      [],
      ['id'],
    ],
    ['no dueDiligence: due-diligence', residentOf('IE', { dueDiligence: undefined }), ['due-diligence'], []],
    [
      'dueDiligence without estimatedYearlyIncome (optional for non-US residents): nothing missing',
      residentOf('IE', { dueDiligence: WITHOUT_INCOME }),
      [],
      [],
    ],
    ['an EEA (not EU) country, Norway: treated as EU', residentOf('NO'), [], []],
    [
      'the sampleEuRecord fixture (ID card front and back, selfie, due diligence without income): nothing missing',
      sampleEuRecord(),
      [],
      [],
    ],
  ])('an EU/EEA resident with %s', (_, subject, missingData, missingDocuments) => {
    const requirements = requirementsFor(subject, 'offramp');
    expect(requirements.region).toBe('eu');
    expect(requirements.missingData).toEqual(missingData);
    expect(requirements.missingDocuments).toEqual(missingDocuments);
    expect(requirements.warnings).toEqual([]);
  });
});

describe('requirementsFor: all other residents (UK, LATAM, APAC; offramp)', () => {
  it.each(['GB', 'BR', 'MX', 'JP', 'SG', 'AU'])(
    'a resident of %s with passport and selfie: nothing missing',
    (country) => {
      const requirements = requirementsFor(residentOf(country));
      expect(requirements.region).toBe('other');
      expect(isComplete(requirements)).toBe(true);
    },
  );

  it.each<[string, DocumentType[], string[]]>([
    [
      'an ID card front and back is not enough: id',
      ['id-idcard-front', 'id-idcard-back', 'selfie-front'],
      ['id'],
    ],
    ['a residency permit is not enough: id', ['id-residency-permit', 'selfie-front'], ['id']],
    ['a passport without selfie: selfie', ['id-passport'], ['selfie']],
    ['nothing uploaded: id and selfie', [], ['id', 'selfie']],
  ])('a UK resident with %s', (_, types, missingDocuments) => {
    expect(requirementsFor(residentOf('GB', { documents: docs(...types) })).missingDocuments).toEqual(
      missingDocuments,
    );
  });

  it.each(['GB', 'MX', 'BR', 'JP'])(
    'a resident of %s whose dueDiligence has no estimatedYearlyIncome: nothing missing (optional for non-US residents)',
    (country) => {
      expect(requirementsFor(residentOf(country, { dueDiligence: WITHOUT_INCOME }))).toMatchObject({
        missingData: [],
        missingDocuments: [],
      });
    },
  );

  it('a UK resident without dueDiligence misses due-diligence', () => {
    expect(requirementsFor(residentOf('GB', { dueDiligence: undefined })).missingData).toEqual([
      'due-diligence',
    ]);
  });
});

describe('requirementsFor: sections every region needs', () => {
  it.each<[string, RequirementsSubject, string[]]>([
    [
      'a US resident without verificationHistory misses verification-history',
      usResident('FL', { verificationHistory: undefined }),
      ['verification-history'],
    ],
    [
      'an EU resident without verificationHistory misses verification-history',
      residentOf('DE', { verificationHistory: undefined }),
      ['verification-history'],
    ],
    [
      'an EU resident without kycData misses kyc-data',
      residentOf('DE', { kycData: undefined }),
      ['kyc-data'],
    ],
    ['a UK resident without kycData misses kyc-data', residentOf('GB', { kycData: undefined }), ['kyc-data']],
    [
      'a subject without userDetails misses user-details (and its region is unknown)',
      usResident('FL', { userDetails: undefined }),
      ['user-details'],
    ],
    [
      'an empty subject misses user-details, kyc-data and verification-history',
      {},
      ['user-details', 'kyc-data', 'verification-history'],
    ],
  ])('%s', (_, subject, missingData) => {
    expect(requirementsFor(subject).missingData).toEqual(missingData);
  });

  it('a subject without userDetails has an unknown region and no document requirements', () => {
    const requirements = requirementsFor({ ...residentOf('DE'), userDetails: undefined, documents: [] });
    expect(requirements.region).toBe('unknown');
    expect(requirements.missingDocuments).toEqual([]);
  });
});

describe('requirementsFor: products', () => {
  it.each<[string, RequirementsSubject]>([
    ['a US resident with only userDetails', { userDetails: { countryOfResidence: 'US' } }],
    ['an EU resident with only userDetails', { userDetails: { countryOfResidence: 'DE' } }],
    ['a UK resident with only userDetails', { userDetails: { countryOfResidence: 'GB' } }],
  ])('regulated-transfer (payouts) needs only userDetails: %s is complete', (_, subject) => {
    const requirements = requirementsFor(subject, 'regulated-transfer');
    expect(requirements).toMatchObject({ missingData: [], missingDocuments: [], warnings: [] });
  });

  it('regulated-transfer without userDetails misses user-details only', () => {
    expect(requirementsFor({}, 'regulated-transfer').missingData).toEqual(['user-details']);
  });

  it('offramp is the default product', () => {
    const subject = residentOf('DE', { documents: [] });
    expect(requirementsFor(subject)).toEqual(requirementsFor(subject, 'offramp'));
  });

  const subjects: [string, RequirementsSubject][] = [
    ['complete US resident', usResident()],
    ['Texan without due diligence', usResident('TX')],
    ['US resident without SSN or phone', usResident('FL', { kycData: {} })],
    ['EU resident without documents', residentOf('DE', { documents: undefined })],
    [
      'Spanish resident with a residency permit',
      residentOf('ES', { documents: docs('id-residency-permit') }),
    ],
    [
      'UK resident with an ID card',
      residentOf('GB', { documents: docs('id-idcard-front', 'id-idcard-back') }),
    ],
    ['empty subject', {}],
  ];
  it.each(subjects)('onramp asks the same as offramp: %s', (_, subject) => {
    expect(requirementsFor(subject, 'onramp')).toEqual(requirementsFor(subject, 'offramp'));
  });
});

describe('regionOf', () => {
  it.each<[string | undefined, ReturnType<typeof regionOf>]>([
    ['US', 'us'],
    ['DE', 'eu'],
    ['ES', 'eu'],
    ['IS', 'eu'],
    ['LI', 'eu'],
    ['GB', 'other'],
    ['CH', 'other'],
    ['BR', 'other'],
    [undefined, 'unknown'],
  ])('%s is %s', (country, region) => {
    expect(regionOf(country)).toBe(region);
  });
});
