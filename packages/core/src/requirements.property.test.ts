import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordArb } from './__test-utils__/arbitraries.js';
import { type RequirementsSubject, requirementsFor } from './requirements.js';
import { PRODUCT_TYPES, type ProductType } from './schemas/api.js';

const RUNS = { seed: 42, numRuns: 1000 } as const;

// ---- a second, independent statement of the region table in the API notes ----------------------
// Written from the table, row by row, and the sentences under it (quoted where they decide
// something), without reading requirements.ts: the two must agree.

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

  // Row dueDiligence. US column: "only for residents of NY, NC, TN, TX, VA, VT; when sent,
  // `estimatedYearlyIncome` required"; EU/EEA column: "required"; other column: "required".
  // The sentence under the table settles the income for every column: estimatedYearlyIncome "is
  // required for US residents, although it is optional for non-US residents". So the "when sent"
  // clause belongs to the US column alone, and a region not known yet is asked for nothing.
  const state = (kyc?.addressOfResidence?.stateOrRegion ?? '').toUpperCase();
  const dueDiligenceNeeded =
    region === 'eu' || region === 'other' || (region === 'us' && DUE_DILIGENCE_STATES.includes(state));
  const dd = subject.dueDiligence;
  const dueDiligenceOk =
    dd === undefined ? !dueDiligenceNeeded : region !== 'us' || dd.estimatedYearlyIncome !== undefined;
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
      dueDiligence: sometimes,
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
    if (drop.dueDiligence) subject.dueDiligence = undefined;
    if (subject.dueDiligence && drop.estimatedYearlyIncome) {
      subject.dueDiligence = { ...subject.dueDiligence, estimatedYearlyIncome: undefined };
    }
    if (drop.documents) subject.documents = undefined;
    return subject;
  });

/** Which due-diligence situation of the table a subject is in, to check the generator reaches each. */
function dueDiligenceCase(subject: RequirementsSubject): string {
  const country = subject.userDetails?.countryOfResidence;
  if (country === undefined) return 'region unknown';
  const dd = subject.dueDiligence;
  const sent =
    dd === undefined ? 'none' : dd.estimatedYearlyIncome === undefined ? 'without income' : 'with income';
  if (country !== 'US') return `non-US, ${sent}`;
  const state = (subject.kycData?.addressOfResidence?.stateOrRegion ?? '').toUpperCase();
  return `US ${DUE_DILIGENCE_STATES.includes(state) ? 'listed' : 'other'} state, ${sent}`;
}

const productArb = fc.constantFrom(...PRODUCT_TYPES);

describe('requirementsFor agrees with the region table restated', () => {
  it('the generated subjects reach every due-diligence case of the table', () => {
    const seen = new Map<string, number>();
    // The very inputs of the property below (same seed, same arbitraries); payouts skip the row.
    for (const [subject, product] of fc.sample(fc.tuple(subjectArb, productArb), RUNS)) {
      if (product === 'regulated-transfer') continue;
      const key = dueDiligenceCase(subject);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const region of ['non-US', 'US listed state', 'US other state']) {
      for (const sent of ['none', 'without income', 'with income']) {
        expect(seen.get(`${region}, ${sent}`) ?? 0, `${region}, ${sent}`).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('for every generated subject and product', () => {
    fc.assert(
      fc.property(subjectArb, productArb, (subject, product) => {
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
