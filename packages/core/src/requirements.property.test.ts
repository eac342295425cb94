import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordArb } from './__test-utils__/arbitraries.js';
import { type RequirementsSubject, requirementsFor } from './requirements.js';
import { PRODUCT_TYPES, type ProductType } from './schemas/api.js';

const RUNS = { seed: 42, numRuns: 300 } as const;

// ---- a second, independent statement of the region table in the API notes ----------------------
// Written from the table, row by row, without reading requirements.ts: the two must agree.

const EU_MEMBERS = 'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK'.split(
  ' ',
);
const EEA_NOT_EU = ['IS', 'LI', 'NO'];
const DUE_DILIGENCE_STATES = ['NY', 'NC', 'TN', 'TX', 'VA', 'VT'];

interface Expected {
  region: string;
  missingData: string[];
  missingDocuments: string[];
  phoneWarning: boolean;
}

function expectedFromTable(subject: RequirementsSubject, product: ProductType): Expected {
  const country = subject.userDetails?.countryOfResidence;
  const region =
    country === undefined
      ? 'unknown'
      : country === 'US'
        ? 'us'
        : [...EU_MEMBERS, ...EEA_NOT_EU].includes(country)
          ? 'eu'
          : 'other';
  const missingData: string[] = [];
  const missingDocuments: string[] = [];

  // Row userDetails: required in every column, and the only thing payouts need.
  if (subject.userDetails === undefined) missingData.push('user-details');
  if (product === 'regulated-transfer') return { region, missingData, missingDocuments, phoneWarning: false };

  // Row kycData: required; a US resident is identified by an SSN.
  const kyc = subject.kycData;
  if (kyc === undefined || (region === 'us' && kyc.identityDocument?.type !== 'ssn'))
    missingData.push('kyc-data');
  // The note under the table: a missing US phone number is a warning only.
  const phoneWarning = region === 'us' && kyc !== undefined && kyc.phoneNumber === undefined;

  // Row dueDiligence: EU and others always; US only in six states; when sent, with income.
  // (The "when sent" clause is read as a rule of the section, so it applies in every column.)
  const state = (kyc?.addressOfResidence?.stateOrRegion ?? '').toUpperCase();
  const dueDiligenceNeeded =
    region === 'eu' || region === 'other' || (region === 'us' && DUE_DILIGENCE_STATES.includes(state));
  const dd = subject.dueDiligence;
  const dueDiligenceOk = dd === undefined ? !dueDiligenceNeeded : dd.estimatedYearlyIncome !== undefined;
  if (!dueDiligenceOk) missingData.push('due-diligence');

  // Row verificationHistory: required everywhere.
  if (subject.verificationHistory === undefined) missingData.push('verification-history');

  // Rows identity document and selfie (enhanced due diligence is Crossmint's call, not predicted).
  const has = (type: string) => (subject.documents ?? []).some((d) => d.documentType === type);
  if (region === 'eu') {
    const id =
      has('id-passport') ||
      (has('id-idcard-front') && has('id-idcard-back')) ||
      (country === 'ES' && has('id-residency-permit'));
    if (!id) missingDocuments.push('id');
  }
  if (region === 'other' && !has('id-passport')) missingDocuments.push('id');
  if ((region === 'eu' || region === 'other') && !has('selfie-front')) missingDocuments.push('selfie');

  return { region, missingData, missingDocuments, phoneWarning };
}

// ---- subjects: generated records, with sections and documents knocked out --------------------

/** True about one time in three. */
const sometimes = fc.integer({ min: 0, max: 2 }).map((n) => n === 0);

const subjectArb: fc.Arbitrary<RequirementsSubject> = fc
  .tuple(
    recordArb(),
    fc.record({
      userDetails: sometimes,
      kycData: sometimes,
      identityDocument: sometimes,
      phoneNumber: sometimes,
      estimatedYearlyIncome: sometimes,
      documents: sometimes,
    }),
  )
  .map(([record, drop]) => {
    const subject: RequirementsSubject = structuredClone(record);
    if (drop.userDetails) subject.userDetails = undefined;
    if (drop.kycData) subject.kycData = undefined;
    if (subject.kycData && drop.identityDocument)
      subject.kycData = { ...subject.kycData, identityDocument: undefined };
    if (subject.kycData && drop.phoneNumber) subject.kycData = { ...subject.kycData, phoneNumber: undefined };
    if (subject.dueDiligence && drop.estimatedYearlyIncome) {
      subject.dueDiligence = { ...subject.dueDiligence, estimatedYearlyIncome: undefined };
    }
    if (drop.documents) subject.documents = undefined;
    return subject;
  });

describe('requirementsFor agrees with the region table restated', () => {
  it('for every generated subject and product', () => {
    fc.assert(
      fc.property(subjectArb, fc.constantFrom(...PRODUCT_TYPES), (subject, product) => {
        const actual = requirementsFor(subject, product);
        const expected = expectedFromTable(subject, product);
        expect({
          region: actual.region,
          missingData: actual.missingData,
          missingDocuments: actual.missingDocuments,
          phoneWarning: actual.warnings.length > 0,
        }).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('onramp asks exactly what offramp asks', () => {
    fc.assert(
      fc.property(subjectArb, (subject) => {
        expect(requirementsFor(subject, 'onramp')).toEqual(requirementsFor(subject, 'offramp'));
      }),
      RUNS,
    );
  });

  it('payouts never ask for more than offramp', () => {
    fc.assert(
      fc.property(subjectArb, (subject) => {
        const payout = requirementsFor(subject, 'regulated-transfer');
        const offramp = requirementsFor(subject, 'offramp');
        for (const item of payout.missingData) expect(offramp.missingData).toContain(item);
        expect(payout.missingDocuments).toEqual([]);
      }),
      RUNS,
    );
  });

  it('uploading one more document never adds a missing item', () => {
    fc.assert(
      fc.property(
        subjectArb,
        fc.constantFrom('id-passport', 'selfie-front', 'id-idcard-back', 'id-residency-permit'),
        (subject, type) => {
          const before = requirementsFor(subject);
          const after = requirementsFor({
            ...subject,
            documents: [...(subject.documents ?? []), { documentType: type }],
          });
          for (const item of after.missingDocuments) expect(before.missingDocuments).toContain(item);
          expect(after.missingData).toEqual(before.missingData);
        },
      ),
      RUNS,
    );
  });
});
