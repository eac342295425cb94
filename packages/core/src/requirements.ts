import type { DueDiligence, KycData, ProductType, UserDetails, VerificationHistory } from './schemas/api.js';

/** EU and EEA member states (ISO 3166-1 alpha-2). */
export const EU_EEA = new Set([
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
  'IS',
  'LI',
  'NO',
]);

/** US states whose residents must also provide due diligence. */
export const US_DUE_DILIGENCE_STATES = new Set(['NY', 'NC', 'TN', 'TX', 'VA', 'VT']);

export type Region = 'us' | 'eu' | 'other' | 'unknown';

/** What requirementsFor needs: the sections, and which document types are (or will be) uploaded. */
export interface RequirementsSubject {
  userDetails?: Pick<UserDetails, 'countryOfResidence'> | undefined;
  kycData?: Pick<KycData, 'phoneNumber' | 'identityDocument' | 'addressOfResidence'> | undefined;
  dueDiligence?: Pick<DueDiligence, 'estimatedYearlyIncome'> | undefined;
  verificationHistory?: VerificationHistory | undefined;
  documents?: readonly { documentType: string }[] | undefined;
}

export interface Requirements {
  region: Region;
  /** `missingData` values Crossmint would answer with (user-details, kyc-data, …). */
  missingData: string[];
  /** `missingDocuments` values Crossmint would answer with (id, selfie, …). */
  missingDocuments: string[];
  /** Gaps the documented flow tolerates (a US user without a phone number). */
  warnings: string[];
}

export function regionOf(countryOfResidence: string | undefined): Region {
  if (countryOfResidence === undefined) return 'unknown';
  if (countryOfResidence === 'US') return 'us';
  return EU_EEA.has(countryOfResidence) ? 'eu' : 'other';
}

/**
 * The region table of the users API as code: what a subject lacks for `product` before anything is
 * sent, so an import can report it instead of spending budget on a certain `requires-data`.
 * Enhanced due diligence is decided by Crossmint alone and is not predicted here.
 */
export function requirementsFor(
  subject: RequirementsSubject,
  product: ProductType = 'offramp',
): Requirements {
  const region = regionOf(subject.userDetails?.countryOfResidence);
  const missingData: string[] = [];
  const missingDocuments: string[] = [];
  const warnings: string[] = [];

  if (!subject.userDetails) missingData.push('user-details');
  if (product === 'regulated-transfer') return { region, missingData, missingDocuments, warnings };

  const kyc = subject.kycData;
  if (!kyc || (region === 'us' && kyc.identityDocument?.type !== 'ssn')) missingData.push('kyc-data');
  if (kyc && region === 'us' && kyc.phoneNumber === undefined) {
    warnings.push(
      'kycData.phoneNumber is listed as required for US residents but the documented flow verifies without it',
    );
  }

  // Due diligence is required outside the US and in six US states; its estimatedYearlyIncome "is
  // required for US residents, although it is optional for non-US residents", so the table's
  // "when sent, estimatedYearlyIncome required" is a rule of the US column only.
  const dueDiligence = subject.dueDiligence;
  const usState = kyc?.addressOfResidence?.stateOrRegion?.toUpperCase();
  const dueDiligenceRequired =
    region === 'eu' ||
    region === 'other' ||
    (region === 'us' && usState !== undefined && US_DUE_DILIGENCE_STATES.has(usState));
  const incomeMissing = region === 'us' && dueDiligence?.estimatedYearlyIncome === undefined;
  if (dueDiligence === undefined ? dueDiligenceRequired : incomeMissing) missingData.push('due-diligence');

  if (!subject.verificationHistory) missingData.push('verification-history');

  const types = new Set((subject.documents ?? []).map((d) => d.documentType));
  if (region === 'eu') {
    const residencyPermit =
      types.has('id-residency-permit') && subject.userDetails?.countryOfResidence === 'ES';
    const idCard = types.has('id-idcard-front') && types.has('id-idcard-back');
    if (!types.has('id-passport') && !idCard && !residencyPermit) missingDocuments.push('id');
    if (!types.has('selfie-front')) missingDocuments.push('selfie');
  } else if (region === 'other') {
    if (!types.has('id-passport')) missingDocuments.push('id');
    if (!types.has('selfie-front')) missingDocuments.push('selfie');
  }
  return { region, missingData, missingDocuments, warnings };
}

export function isComplete(requirements: Requirements): boolean {
  return requirements.missingData.length === 0 && requirements.missingDocuments.length === 0;
}
