import type { ProductEligibility, ProductType, VerificationStatus } from '../schemas/api.js';

/** The status of each target product; a product missing from the list counts as not started. */
export function targetStatuses(
  targets: readonly ProductType[],
  eligibility: readonly ProductEligibility[],
): VerificationStatus[] {
  return targets.map((type) => eligibility.find((e) => e.type === type)?.status ?? 'not-started');
}

/** What Crossmint asked for across the target products, deduplicated and sorted. */
export function requestedItems(
  targets: readonly ProductType[],
  eligibility: readonly ProductEligibility[],
): { missingData: string[]; missingDocuments: string[] } {
  const data = new Set<string>();
  const documents = new Set<string>();
  for (const entry of eligibility) {
    if (!targets.includes(entry.type as ProductType) || entry.status !== 'requires-data') continue;
    for (const item of entry.missingData ?? []) data.add(item);
    for (const item of entry.missingDocuments ?? []) documents.add(item);
  }
  return { missingData: [...data].sort(), missingDocuments: [...documents].sort() };
}
