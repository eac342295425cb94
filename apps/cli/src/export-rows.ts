import { PRODUCT_TYPES } from '@kyc-handoff/core';
import type { OnboardingListing } from '@kyc-handoff/engine';

/** One exported onboarding: the listing with ISO times and the requested items flattened. */
export interface ExportRow {
  userId: string;
  state: string;
  statePath: string;
  outcome: string | null;
  eligibility: Record<string, string>;
  missingData: string[];
  missingDocuments: string[];
  attempts: number;
  errorKind: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function exportRow(l: OnboardingListing): ExportRow {
  return {
    userId: l.userId,
    state: l.state,
    statePath: l.statePath,
    outcome: l.outcome,
    eligibility: l.eligibility,
    missingData: l.requested?.missingData ?? [],
    missingDocuments: l.requested?.missingDocuments ?? [],
    attempts: l.attempts,
    errorKind: l.errorKind,
    failureReason: l.failureReason,
    createdAt: iso(l.createdAt),
    updatedAt: iso(l.updatedAt),
  };
}

export function ndjsonLine(l: OnboardingListing): string {
  return `${JSON.stringify(exportRow(l))}\n`;
}

/**
 * The CSV columns. A streamed export writes its header before it has seen any row, so the
 * eligibility columns are one per product Crossmint has (`eligibility.offramp`, …), whichever
 * appear: the header is the same for every export.
 */
export const CSV_COLUMNS = [
  'userId',
  'state',
  'statePath',
  'outcome',
  ...PRODUCT_TYPES.map((p) => `eligibility.${p}`),
  'missingData',
  'missingDocuments',
  'attempts',
  'errorKind',
  'failureReason',
  'createdAt',
  'updatedAt',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break or leading or
 * trailing space, with quotes inside doubled; empty for null.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.map(csvField).join(',')}\n`;
}

/** Lists (missingData, missingDocuments) are joined with `;`. */
export function csvLine(l: OnboardingListing): string {
  const r = exportRow(l);
  const cells: (string | number | null)[] = [
    r.userId,
    r.state,
    r.statePath,
    r.outcome,
    ...PRODUCT_TYPES.map((p) => r.eligibility[p] ?? null),
    r.missingData.join(';'),
    r.missingDocuments.join(';'),
    r.attempts,
    r.errorKind,
    r.failureReason,
    r.createdAt,
    r.updatedAt,
  ];
  return `${cells.map(csvField).join(',')}\n`;
}
