import {
  PRODUCT_TYPES,
  type ProductEligibility,
  type ProductType,
  requirementsFor,
  type VerificationStatus,
} from '@kyc-handoff/core';
import type { SandboxConfig } from './options.js';
import type { StoredUser } from './state.js';

export interface ProductOutcome {
  status: VerificationStatus;
  missingData?: string[];
  missingDocuments?: string[];
}

/** What `pending-review` turns into once review is due; decided by the magic last name at trigger time. */
export type Resolution = 'verified' | 'rejected' | 'hold';

export interface Verification {
  triggeredAt: number;
  polls: number;
  resolution: Resolution;
  products: Record<ProductType, ProductOutcome>;
}

/** Products that the region table governs; regulated-transfer only needs userDetails. */
const TABLE_PRODUCTS: ReadonlySet<ProductType> = new Set(['onramp', 'onramp-light', 'offramp']);

function magicName(user: StoredUser): string | undefined {
  return user.sections.userDetails?.lastName.trim().toLowerCase();
}

function assess(user: StoredUser, product: ProductType): ProductOutcome {
  if (!user.legalDocuments.has('crossmint-privacy-policy')) return { status: 'pending-privacy-policy' };
  const { missingData, missingDocuments } = requirementsFor(
    {
      ...user.sections,
      documents: [...user.documents.keys()].map((documentType) => ({ documentType })),
    },
    product,
  );
  if (magicName(user) === 'incomplete' && TABLE_PRODUCTS.has(product) && user.documents.size === 0) {
    if (!missingDocuments.includes('id')) missingDocuments.unshift('id');
  }
  if (missingData.length === 0 && missingDocuments.length === 0) return { status: 'pending-review' };
  const outcome: ProductOutcome = { status: 'requires-data' };
  if (missingData.length > 0) outcome.missingData = missingData;
  if (missingDocuments.length > 0) outcome.missingDocuments = missingDocuments;
  return outcome;
}

const isFinal = (status: VerificationStatus) => status === 'verified' || status === 'rejected';

/**
 * A trigger decides each product from the data stored now. Decisions already final are kept (a
 * verified user stays verified); everything else is recomputed, which is how a platform gets out
 * of requires-data: send the data, trigger again.
 */
export function trigger(user: StoredUser, now: number): void {
  const previous = user.verification?.products;
  const name = magicName(user);
  const products = {} as Record<ProductType, ProductOutcome>;
  for (const product of PRODUCT_TYPES) {
    const kept = previous?.[product];
    products[product] = kept !== undefined && isFinal(kept.status) ? kept : assess(user, product);
  }
  user.verification = {
    triggeredAt: now,
    polls: 0,
    resolution: name === 'rejected' ? 'rejected' : name === 'pending' ? 'hold' : 'verified',
    products,
  };
}

/**
 * The eligibility list as Crossmint returns it. A read may move pending-review forward (review is
 * "done" after N reads or after verifyAfterMs on the sandbox clock); the result is stored so a later
 * config change never takes a decision back.
 */
export function eligibility(
  user: StoredUser,
  now: number,
  config: Pick<SandboxConfig, 'verifyAfterPolls' | 'verifyAfterMs'>,
  countPoll: boolean,
): ProductEligibility[] {
  const v = user.verification;
  if (v === undefined) return PRODUCT_TYPES.map((type) => ({ type, status: 'not-started' }));
  if (countPoll) v.polls++;
  const due =
    config.verifyAfterMs !== null
      ? now - v.triggeredAt >= config.verifyAfterMs
      : v.polls >= config.verifyAfterPolls;
  return PRODUCT_TYPES.map((type) => {
    const outcome = v.products[type];
    if (outcome.status === 'pending-review' && due && v.resolution !== 'hold') {
      v.products[type] = { status: v.resolution };
    }
    return { type, ...copy(v.products[type]) };
  });
}

function copy(outcome: ProductOutcome): ProductOutcome {
  const out: ProductOutcome = { status: outcome.status };
  if (outcome.missingData !== undefined) out.missingData = [...outcome.missingData];
  if (outcome.missingDocuments !== undefined) out.missingDocuments = [...outcome.missingDocuments];
  return out;
}

/** Admin override; products not named keep their state (not-started if never triggered). */
export function force(
  user: StoredUser,
  now: number,
  status: VerificationStatus,
  product: ProductType | undefined,
  missing: { missingData?: string[]; missingDocuments?: string[] } = {},
): void {
  if (user.verification === undefined) {
    const products = {} as Record<ProductType, ProductOutcome>;
    for (const p of PRODUCT_TYPES) products[p] = { status: 'not-started' };
    user.verification = { triggeredAt: now, polls: 0, resolution: 'verified', products };
  }
  const outcome: ProductOutcome = { status };
  if (status === 'requires-data') {
    outcome.missingData = missing.missingData ?? [];
    outcome.missingDocuments = missing.missingDocuments ?? [];
  }
  for (const p of product === undefined ? PRODUCT_TYPES : [product]) {
    user.verification.products[p] = copy(outcome);
  }
  // Forcing pending-review should not be instantly undone by a "due" review.
  if (status === 'pending-review') user.verification.resolution = 'hold';
}
