import { z } from 'zod';
import { countryCode, e164Phone, isoDate, isoUtcDateTime, isoUtcDateTimeLenient, text } from './formats.js';

/** The API's version segment; every users and documents path starts with it. */
export const API_VERSION = '2025-06-09';

export const LEGAL_DOCUMENT_TYPES = ['crossmint-privacy-policy', 'crossmint-terms-of-service'] as const;
export const TERMS_REGIONS = ['eu', 'worldwide', 'us'] as const;

function legalDocumentRequest<T extends z.ZodType<string, string>>(acceptedAt: T) {
  return z
    .object({
      type: z.enum(LEGAL_DOCUMENT_TYPES),
      acceptedAt,
      region: z.enum(TERMS_REGIONS).optional(),
    })
    .refine((b) => b.type !== 'crossmint-terms-of-service' || b.region !== undefined, {
      message: 'region is required for crossmint-terms-of-service',
      path: ['region'],
    });
}

/** Body of PUT /users/{locator}/legal-documents, as we send it (acceptedAt ends in Z). */
export const LegalDocumentRequest = legalDocumentRequest(isoUtcDateTime);
/** The same body as a server accepts it: the documented examples omit the Z. */
export const LegalDocumentRequestLenient = legalDocumentRequest(isoUtcDateTimeLenient);
export type LegalDocumentRequest = z.infer<typeof LegalDocumentRequest>;

export const LegalDocumentResponse = z.looseObject({ acceptedAt: z.string() });
export type LegalDocumentResponse = z.infer<typeof LegalDocumentResponse>;

export const UserDetails = z.object({
  firstName: text(100),
  lastName: text(100),
  dateOfBirth: isoDate,
  countryOfResidence: countryCode,
});
export type UserDetails = z.infer<typeof UserDetails>;

/** Older documentation spells `state`; we accept it and always emit `stateOrRegion`. */
export const Address = z
  .object({
    line1: text(200),
    line2: text(200).optional(),
    city: text(100),
    postalCode: text(20),
    stateOrRegion: text(100).optional(),
    state: text(100).optional(),
  })
  .transform(({ state, stateOrRegion, ...rest }): AddressOut => {
    const region = stateOrRegion ?? state;
    return region === undefined ? rest : { ...rest, stateOrRegion: region };
  });
export interface AddressOut {
  line1: string;
  line2?: string | undefined;
  city: string;
  postalCode: string;
  stateOrRegion?: string;
}
export type Address = z.infer<typeof Address>;

export const IdentityDocument = z.object({
  type: text(50),
  number: text(50),
  issuingCountryCode: countryCode,
});
export type IdentityDocument = z.infer<typeof IdentityDocument>;

export const KycData = z.object({
  email: z.email({ message: 'must be an email address' }).max(254),
  phoneNumber: e164Phone.optional(),
  nationality: countryCode.optional(),
  addressOfResidence: Address.optional(),
  identityDocument: IdentityDocument.optional(),
});
export type KycData = z.infer<typeof KycData>;

/** Enumerations are known only by example, so they stay open strings. */
export const DueDiligence = z.object({
  employmentStatus: text(100).optional(),
  sourceOfFunds: text(100).optional(),
  industry: text(100).optional(),
  estimatedYearlyIncome: text(100).optional(),
});
export type DueDiligence = z.infer<typeof DueDiligence>;

export const VerificationHistory = z.object({
  idVerificationTimestamp: isoUtcDateTimeLenient.optional(),
  livenessVerificationTimestamp: isoUtcDateTimeLenient.optional(),
});
export type VerificationHistory = z.infer<typeof VerificationHistory>;

export const SECTIONS = ['userDetails', 'kycData', 'dueDiligence', 'verificationHistory'] as const;
export type Section = (typeof SECTIONS)[number];

/** Body of PUT /users/{locator}. Not additive: every call carries every section the platform has. */
export const UserUpsertRequest = z.object({
  userDetails: UserDetails.optional(),
  kycData: KycData.optional(),
  dueDiligence: DueDiligence.optional(),
  verificationHistory: VerificationHistory.optional(),
});
export type UserUpsertRequest = z.infer<typeof UserUpsertRequest>;

export const AcceptedLegalDocument = z.looseObject({
  type: z.string(),
  acceptedAt: z.string(),
  isValidVersion: z.boolean().optional(),
});

/** Response of the upsert and of GET /users/{locator}: which sections are stored, never their content. */
export const UserResponse = z.looseObject({
  userId: z.string(),
  userDetails: z.boolean(),
  kycData: z.boolean(),
  dueDiligence: z.boolean(),
  verificationHistory: z.boolean(),
  email: z.string().optional(),
  phoneNumber: z.string().optional(),
  legalDocuments: z.array(AcceptedLegalDocument).optional(),
});
export type UserResponse = z.infer<typeof UserResponse>;

export const PRODUCT_TYPES = ['onramp', 'onramp-light', 'offramp', 'regulated-transfer'] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];
export const ProductTypeSchema = z.enum(PRODUCT_TYPES);

export const VERIFICATION_STATUSES = [
  'not-started',
  'pending-privacy-policy',
  'requires-data',
  'pending-review',
  'verified',
  'rejected',
] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];
/** The status of one product in an eligibility list (the same union as VerificationStatus). */
export type EligibilityStatus = VerificationStatus;

export const KNOWN_MISSING_DATA = [
  'user-details',
  'kyc-data',
  'due-diligence',
  'verification-history',
] as const;
export const KNOWN_MISSING_DOCUMENTS = ['id', 'selfie', 'proof-of-address', 'proof-of-income'] as const;

/**
 * One product's entry. Fields Crossmint may add later are dropped, not kept: a typed entry then
 * refuses a misspelt field (`e.product` for `e.type`) at compile time.
 */
export const ProductEligibility = z.object({
  type: ProductTypeSchema,
  status: z.enum(VERIFICATION_STATUSES),
  // The missing-item lists are partly undocumented: open strings.
  missingData: z.array(z.string()).optional(),
  missingDocuments: z.array(z.string()).optional(),
});
export type ProductEligibility = z.infer<typeof ProductEligibility>;

/** An entry of a product this version does not know: still checked, then left out. */
const OtherProductEligibility = ProductEligibility.extend({ type: z.string() });

/**
 * The eligibility list. An entry for a product Crossmint adds later is dropped rather than refused:
 * the machine follows only its target products, which are ProductTypes, so an unknown one changes
 * nothing, and the typed list stays a literal union.
 */
export const EligibilityResponse = z.looseObject({
  eligibility: z
    .array(z.union([ProductEligibility, OtherProductEligibility]))
    .transform((entries) =>
      entries.filter((e): e is ProductEligibility => (PRODUCT_TYPES as readonly string[]).includes(e.type)),
    ),
});
export type EligibilityResponse = z.infer<typeof EligibilityResponse>;

export const DOCUMENT_TYPES = [
  'id-ssn',
  'id-passport',
  'id-idcard-front',
  'id-idcard-back',
  'id-residency-permit',
  'proof-of-address',
  'proof-of-income',
  'selfie-front',
  'selfie-left',
  'selfie-right',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const DocumentTypeSchema = z.enum(DOCUMENT_TYPES);

/** Legacy image limit, applied to the decoded size. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
/** Bytes a base64 payload decodes to: padding characters carry no data. */
function decodedSize(dataUrl: string): number {
  const payload = dataUrl.length - dataUrl.indexOf(',') - 1;
  const padding = dataUrl.endsWith('==') ? 2 : dataUrl.endsWith('=') ? 1 : 0;
  return (payload * 3) / 4 - padding;
}

const DATA_URL = /^data:[a-z]+\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/]+={0,2}$/;

export const DocumentData = z
  .string()
  .regex(DATA_URL, { message: 'must be a base64 data URL such as data:image/png;base64,…' })
  .refine((v) => decodedSize(v) <= MAX_DOCUMENT_BYTES, {
    message: 'must be at most 10 MB once decoded',
  });

const userLocatorRef = z.object({ userLocator: z.string().min(1) });

/** Body of POST /documents as we send it. */
export const DocumentUploadRequest = z.object({
  reference: userLocatorRef,
  documentType: DocumentTypeSchema,
  data: DocumentData,
  expiresAt: isoDate.optional(),
});
export type DocumentUploadRequest = z.infer<typeof DocumentUploadRequest>;

/** The same body as a server accepts it: older documentation puts userLocator at the top level. */
export const DocumentUploadRequestLenient = z
  .object({
    reference: userLocatorRef.optional(),
    userLocator: z.string().min(1).optional(),
    documentType: DocumentTypeSchema,
    data: DocumentData,
    expiresAt: isoDate.optional(),
  })
  .refine((b) => b.reference !== undefined || b.userLocator !== undefined, {
    message: 'reference.userLocator is required',
    path: ['reference', 'userLocator'],
  })
  .transform(({ reference, userLocator, ...rest }) => ({
    ...rest,
    reference: reference ?? { userLocator: userLocator as string },
  }));

export const DocumentResponse = z.looseObject({
  id: z.string(),
  documentType: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
});
export type DocumentResponse = z.infer<typeof DocumentResponse>;

/** Error bodies are only known from sibling APIs: anything with a message. */
export const ErrorBody = z.looseObject({
  error: z.boolean().optional(),
  message: z.string(),
  code: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The message Crossmint returns when a project is not enabled for the users KYC endpoints. */
export const NOT_ENABLED_MESSAGE = 'project not configured to support the users KYC endpoints';

export function userLocator(userId: string): string {
  return `userId:${userId}`;
}
