import { describe, expect, it } from 'vitest';
import { type RequirementsSubject, requirementsFor } from './requirements.js';
import type { DocumentType, DueDiligence, ProductType } from './schemas/api.js';

// "What each region must provide (for on/offramp)" in the users API notes, one row of this file per
// cell of that table (and per sentence under it), each carrying the text it comes from. A case
// starts from a subject complete for its region and changes only what the cell is about.

type Column = 'US' | 'EU/EEA' | 'other';

interface Case {
  given: string;
  subject: RequirementsSubject;
  product?: ProductType;
  missingData?: string[];
  missingDocuments?: string[];
  /** Whether the US phone-number warning is given. */
  phoneWarning?: boolean;
}

interface Cell {
  column: Column;
  row: string;
  /** The cell or sentence, verbatim. */
  source: string;
  /** What the cell asks for that requirementsFor deliberately does not predict, and why. */
  notPredicted?: { missingDocuments: string[]; why: string };
  cases: Case[];
}

const HISTORY = {
  idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
  livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
};
const WITHOUT_INCOME: DueDiligence = {
  employmentStatus: 'full-time',
  sourceOfFunds: 'salary-disbursement',
  industry: 'financial-institution',
};
const WITH_INCOME: DueDiligence = { ...WITHOUT_INCOME, estimatedYearlyIncome: 'income-50k-100k' };
const docs = (...types: DocumentType[]) => types.map((documentType) => ({ documentType }));
const SSN = { type: 'ssn', number: '123-45-6789', issuingCountryCode: 'US' };

/** A US resident of `state` with an SSN, a phone number and verification history, no documents. */
function us(state = 'FL', changes: Partial<RequirementsSubject> = {}): RequirementsSubject {
  return {
    userDetails: { countryOfResidence: 'US' },
    kycData: {
      phoneNumber: '+13055550100',
      identityDocument: SSN,
      addressOfResidence: { line1: '1 Main St', city: 'Town', postalCode: '10001', stateOrRegion: state },
    },
    verificationHistory: HISTORY,
    ...changes,
  };
}

/** A resident of `country` with passport, selfie and due diligence (income included). */
function resident(country: string, changes: Partial<RequirementsSubject> = {}): RequirementsSubject {
  return {
    userDetails: { countryOfResidence: country },
    kycData: { identityDocument: { type: 'passport', number: 'X1234567', issuingCountryCode: country } },
    dueDiligence: WITH_INCOME,
    verificationHistory: HISTORY,
    documents: docs('id-passport', 'selfie-front'),
    ...changes,
  };
}

const without = (subject: RequirementsSubject, key: keyof RequirementsSubject): RequirementsSubject => ({
  ...subject,
  [key]: undefined,
});

const INCOME_SENTENCE =
  '`estimatedYearlyIncome` inside `dueDiligence`: Crossmint\'s data requirements say it "is required for US residents, although it is optional for non-US residents".';
const LISTED_STATES = ['NY', 'NC', 'TN', 'TX', 'VA', 'VT'];
const ENHANCED =
  "enhanced due diligence is Crossmint's decision after review and nothing in a record foretells it, so asking for it up front would refuse users Crossmint verifies without it";

const CELLS: Cell[] = [
  // ---- userDetails ----
  ...(
    [
      ['US', us()],
      ['EU/EEA', resident('DE')],
      ['other', resident('GB')],
    ] as const
  ).map(
    ([column, complete]): Cell => ({
      column,
      row: 'userDetails',
      source: 'required',
      cases: [
        { given: 'with userDetails', subject: complete },
        // Without userDetails the region is unknown, so no region-specific item is predicted.
        {
          given: 'without userDetails',
          subject: without(complete, 'userDetails'),
          missingData: ['user-details'],
        },
      ],
    }),
  ),

  // ---- kycData ----
  {
    column: 'US',
    row: 'kycData',
    source: 'required; identity by `identityDocument.type = "ssn"`; `phoneNumber` (see below)',
    cases: [
      { given: 'with an SSN', subject: us() },
      { given: 'without kycData', subject: without(us(), 'kycData'), missingData: ['kyc-data'] },
      {
        given: 'identified by passport',
        subject: us('FL', {
          kycData: { identityDocument: { type: 'passport', number: 'X1', issuingCountryCode: 'US' } },
        }),
        missingData: ['kyc-data'],
      },
      {
        given: 'without an identity document',
        subject: us('FL', { kycData: {} }),
        missingData: ['kyc-data'],
      },
    ],
  },
  ...(
    [
      ['EU/EEA', 'FR'],
      ['other', 'MX'],
    ] as const
  ).map(
    ([column, country]): Cell => ({
      column,
      row: 'kycData',
      source: 'required',
      cases: [
        { given: 'identified by passport', subject: resident(country) },
        {
          given: 'identified by ID card (no SSN needed)',
          subject: resident(country, {
            kycData: { identityDocument: { type: 'idcard', number: 'C1', issuingCountryCode: country } },
          }),
        },
        {
          given: 'without kycData',
          subject: without(resident(country), 'kycData'),
          missingData: ['kyc-data'],
        },
      ],
    }),
  ),

  // ---- dueDiligence ----
  {
    column: 'US',
    row: 'dueDiligence',
    source: 'only for residents of NY, NC, TN, TX, VA, VT; when sent, `estimatedYearlyIncome` required',
    cases: [
      ...LISTED_STATES.flatMap((state): Case[] => [
        { given: `a resident of ${state} without it`, subject: us(state), missingData: ['due-diligence'] },
        { given: `a resident of ${state} with it`, subject: us(state, { dueDiligence: WITH_INCOME }) },
        {
          given: `a resident of ${state} with it, without income`,
          subject: us(state, { dueDiligence: WITHOUT_INCOME }),
          missingData: ['due-diligence'],
        },
      ]),
      {
        given: 'a resident of ny (lower case) without it',
        subject: us('ny'),
        missingData: ['due-diligence'],
      },
      ...['FL', 'CA', 'WA'].flatMap((state): Case[] => [
        { given: `a resident of ${state} without it`, subject: us(state) },
        { given: `a resident of ${state} with it`, subject: us(state, { dueDiligence: WITH_INCOME }) },
        {
          given: `a resident of ${state} with it, without income`,
          subject: us(state, { dueDiligence: WITHOUT_INCOME }),
          missingData: ['due-diligence'],
        },
      ]),
      {
        given: 'a resident without a known state, with it, without income',
        subject: us('FL', { kycData: { identityDocument: SSN }, dueDiligence: WITHOUT_INCOME }),
        missingData: ['due-diligence'],
        phoneWarning: true,
      },
    ],
  },
  ...(
    [
      ['EU/EEA', 'IE'],
      ['other', 'BR'],
    ] as const
  ).map(
    ([column, country]): Cell => ({
      column,
      row: 'dueDiligence',
      source: 'required',
      cases: [
        { given: 'with it', subject: resident(country) },
        {
          given: 'without it',
          subject: without(resident(country), 'dueDiligence'),
          missingData: ['due-diligence'],
        },
      ],
    }),
  ),

  // ---- the sentence on estimatedYearlyIncome under the table ----
  {
    column: 'US',
    row: 'dueDiligence.estimatedYearlyIncome',
    source: INCOME_SENTENCE,
    cases: [
      {
        given: 'a resident of TX without it',
        subject: us('TX', { dueDiligence: WITHOUT_INCOME }),
        missingData: ['due-diligence'],
      },
      {
        given: 'a resident of FL without it',
        subject: us('FL', { dueDiligence: WITHOUT_INCOME }),
        missingData: ['due-diligence'],
      },
      { given: 'a resident of TX with it', subject: us('TX', { dueDiligence: WITH_INCOME }) },
    ],
  },
  ...(
    [
      ['EU/EEA', ['DE', 'FR', 'ES', 'NO']],
      ['other', ['GB', 'MX', 'BR', 'AR', 'JP']],
    ] as const
  ).map(
    ([column, countries]): Cell => ({
      column,
      row: 'dueDiligence.estimatedYearlyIncome',
      source: `${INCOME_SENTENCE} So an EU, UK or LATAM resident's due diligence is complete with \`employmentStatus\`, \`sourceOfFunds\` and \`industry\` alone.`,
      cases: countries.map((country) => ({
        given: `a resident of ${country} without it`,
        subject: resident(country, { dueDiligence: WITHOUT_INCOME }),
      })),
    }),
  ),

  // ---- verificationHistory ----
  ...(
    [
      ['US', us('TX', { dueDiligence: WITH_INCOME })],
      ['EU/EEA', resident('NL')],
      ['other', resident('SG')],
    ] as const
  ).map(
    ([column, complete]): Cell => ({
      column,
      row: 'verificationHistory',
      source: 'required',
      cases: [
        { given: 'with it', subject: complete },
        {
          given: 'without it',
          subject: without(complete, 'verificationHistory'),
          missingData: ['verification-history'],
        },
      ],
    }),
  ),

  // ---- identity document upload ----
  {
    column: 'US',
    row: 'identity document upload',
    source: 'none (SSN); under enhanced due diligence a passport, or ID card front+back',
    notPredicted: { missingDocuments: ['id'], why: ENHANCED },
    cases: [
      { given: 'nothing uploaded', subject: us() },
      {
        given: 'nothing uploaded, in a due-diligence state',
        subject: us('NY', { dueDiligence: WITH_INCOME }),
      },
    ],
  },
  {
    column: 'EU/EEA',
    row: 'identity document upload',
    source: '`id-passport`, or `id-idcard-front` + `id-idcard-back`, or `id-residency-permit` (Spain)',
    cases: [
      { given: 'a passport', subject: resident('DE') },
      {
        given: 'ID card front and back',
        subject: resident('FR', { documents: docs('id-idcard-front', 'id-idcard-back', 'selfie-front') }),
      },
      {
        given: 'the ID card front only',
        subject: resident('IT', { documents: docs('id-idcard-front', 'selfie-front') }),
        missingDocuments: ['id'],
      },
      {
        given: 'the ID card back only',
        subject: resident('IT', { documents: docs('id-idcard-back', 'selfie-front') }),
        missingDocuments: ['id'],
      },
      {
        given: 'a residency permit, resident of Spain',
        subject: resident('ES', { documents: docs('id-residency-permit', 'selfie-front') }),
      },
      {
        given: 'a residency permit, resident of Portugal',
        subject: resident('PT', { documents: docs('id-residency-permit', 'selfie-front') }),
        missingDocuments: ['id'],
      },
      {
        given: 'no identity document',
        subject: resident('AT', { documents: docs('selfie-front') }),
        missingDocuments: ['id'],
      },
    ],
  },
  {
    column: 'other',
    row: 'identity document upload',
    source: '`id-passport` only',
    cases: [
      { given: 'a passport', subject: resident('GB') },
      {
        given: 'ID card front and back',
        subject: resident('MX', { documents: docs('id-idcard-front', 'id-idcard-back', 'selfie-front') }),
        missingDocuments: ['id'],
      },
      {
        given: 'a residency permit',
        subject: resident('CO', { documents: docs('id-residency-permit', 'selfie-front') }),
        missingDocuments: ['id'],
      },
      {
        given: 'no identity document',
        subject: resident('AU', { documents: docs('selfie-front') }),
        missingDocuments: ['id'],
      },
    ],
  },

  // ---- selfie ----
  {
    column: 'US',
    row: 'selfie',
    source: 'none',
    cases: [{ given: 'no selfie', subject: us('FL', { documents: [] }) }],
  },
  ...(
    [
      ['EU/EEA', 'PL'],
      ['other', 'IN'],
    ] as const
  ).map(
    ([column, country]): Cell => ({
      column,
      row: 'selfie',
      source: 'required (`selfie-front`)',
      cases: [
        { given: 'selfie-front', subject: resident(country) },
        {
          given: 'no selfie',
          subject: resident(country, { documents: docs('id-passport') }),
          missingDocuments: ['selfie'],
        },
        {
          given: 'left and right selfies only',
          subject: resident(country, { documents: docs('id-passport', 'selfie-left', 'selfie-right') }),
          missingDocuments: ['selfie'],
        },
      ],
    }),
  ),

  // ---- proof of address / income ----
  ...(
    [
      ['US', 'only under enhanced due diligence', us()],
      ['EU/EEA', 'same', resident('BE')],
      ['other', 'same', resident('ZA')],
    ] as const
  ).map(
    ([column, source, complete]): Cell => ({
      column,
      row: 'proof of address / income',
      source,
      notPredicted: { missingDocuments: ['proof-of-address', 'proof-of-income'], why: ENHANCED },
      cases: [{ given: 'neither proof uploaded', subject: complete }],
    }),
  ),

  // ---- the sentences under the table ----
  ...(
    [
      ['US', { countryOfResidence: 'US' }],
      ['EU/EEA', { countryOfResidence: 'DE' }],
      ['other', { countryOfResidence: 'GB' }],
    ] as const
  ).map(
    ([column, userDetails]): Cell => ({
      column,
      row: 'payouts',
      source: 'Payouts ("regulated-transfer") need only `userDetails`.',
      cases: [
        { given: 'only userDetails', subject: { userDetails }, product: 'regulated-transfer' },
        { given: 'nothing', subject: {}, product: 'regulated-transfer', missingData: ['user-details'] },
      ],
    }),
  ),
  {
    column: 'US',
    row: 'kycData.phoneNumber',
    source:
      'The documented flow wins: the sandbox does not require a US phone number, and `requirementsFor` reports its absence as a warning, not as missing data.',
    cases: [
      {
        given: 'without a phone number',
        subject: us('FL', { kycData: { identityDocument: SSN } }),
        phoneWarning: true,
      },
      { given: 'with a phone number', subject: us(), phoneWarning: false },
    ],
  },
];

describe('requirementsFor, cell by cell of "What each region must provide"', () => {
  const named = CELLS.map((cell) => [`${cell.column} × ${cell.row}: "${cell.source}"`, cell] as const);
  it.each(named)('%s', (_, { source, notPredicted, cases }) => {
    for (const c of cases) {
      const actual = requirementsFor(c.subject, c.product);
      const because = `${c.given} (from "${source}")`;
      expect({ missingData: actual.missingData, missingDocuments: actual.missingDocuments }, because).toEqual(
        { missingData: c.missingData ?? [], missingDocuments: c.missingDocuments ?? [] },
      );
      if (c.phoneWarning !== undefined) {
        expect(
          actual.warnings.some((w) => w.includes('kycData.phoneNumber')),
          because,
        ).toBe(c.phoneWarning);
      }
      for (const item of notPredicted?.missingDocuments ?? []) {
        expect(
          actual.missingDocuments,
          `${because}: ${item} is not predicted, as ${notPredicted?.why}`,
        ).not.toContain(item);
      }
    }
  });

  it('every cell of the table has a row: 7 rows by 3 columns, plus the sentences under it', () => {
    const rows = [
      'userDetails',
      'kycData',
      'dueDiligence',
      'verificationHistory',
      'identity document upload',
      'selfie',
      'proof of address / income',
    ];
    for (const row of rows) {
      expect(
        CELLS.filter((cell) => cell.row === row).map((cell) => cell.column),
        row,
      ).toEqual(['US', 'EU/EEA', 'other']);
    }
    expect(CELLS.filter((cell) => cell.row === 'dueDiligence.estimatedYearlyIncome')).toHaveLength(3);
    expect(CELLS.filter((cell) => cell.row === 'payouts')).toHaveLength(3);
  });
});
