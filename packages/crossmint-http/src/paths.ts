import { API_VERSION } from '@kyc-handoff/core';

/**
 * One path segment: `encodeURIComponent` leaves `.` alone, so `.` and `..` are escaped too, which
 * keeps any value from walking to another endpoint. Empty segments are a programmer error.
 */
export function segment(value: string): string {
  if (value === '') throw new TypeError('a locator or document id must not be empty');
  const encoded = encodeURIComponent(value);
  return encoded === '.' || encoded === '..' ? encoded.replaceAll('.', '%2E') : encoded;
}

const USERS = `/${API_VERSION}/users/`;
const DOCUMENTS = `/${API_VERSION}/documents`;

export const paths = {
  user: (locator: string) => USERS + segment(locator),
  legalDocuments: (locator: string) => `${USERS}${segment(locator)}/legal-documents`,
  verification: (locator: string) => `${USERS}${segment(locator)}/identity-verification`,
  documents: () => DOCUMENTS,
  document: (documentId: string) => `${DOCUMENTS}/${segment(documentId)}`,
} as const;
