import {
  type EligibilityStatus,
  LIST_PAGE_MAX,
  type ListOptions,
  type OnboardingRow,
  type OnboardingStore,
  type Outcome,
  PRODUCT_TYPES,
  type ProductType,
  type TopLevelState,
  VERIFICATION_STATUSES,
} from '@kyc-handoff/core';

const isOneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  (values as readonly unknown[]).includes(value);

/** One onboarding as `list()` and `export` give it: what the platform acts on, never personal data. */
export interface OnboardingListing {
  userId: string;
  state: TopLevelState;
  /** The active leaf state, e.g. `verificationPending.waiting` (`unreadable` for a damaged row). */
  statePath: string;
  outcome: Outcome | null;
  /** Each product's status as Crossmint last answered it, by product (`offramp`: `verified`, …). */
  eligibility: Partial<Record<ProductType, EligibilityStatus>>;
  /** What Crossmint asked for, while it waits for data. */
  requested: { missingData: string[]; missingDocuments: string[] } | null;
  attempts: number;
  /** The kind of the last error (`transient`, `invalid-data`, …), if any. */
  errorKind: string | null;
  /** Why it failed (`invalid-data`, `verification-deadline`, `unreadable-row`, …), once failed. */
  failureReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type ListFilter = Omit<ListOptions, 'limit' | 'after'> & {
  /** Start after this user id (a previous listing's last). */
  after?: string | undefined;
  /** Rows fetched from the store per page (default 1,000). */
  pageSize?: number | undefined;
};

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);

/** The dotted path of a stored state value, or `unreadable`. */
function pathOf(value: unknown): string {
  const parts: string[] = [];
  let node = value;
  while (asObject(node) !== undefined) {
    const [key, child] = Object.entries(node as Json)[0] ?? [];
    if (key === undefined) return 'unreadable';
    parts.push(key);
    node = child;
  }
  if (typeof node !== 'string') return 'unreadable';
  parts.push(node);
  return parts.join('.');
}

/** The kind of the last error as the machine recorded it; `unknown` for a snapshot that records none. */
function errorKindOf(context: Record<string, unknown>): string {
  const kind = asObject(context.lastError)?.kind;
  return typeof kind === 'string' ? kind : 'unknown';
}

/**
 * A row as a listing, read straight from the stored snapshot without restoring the machine: export
 * reads a million rows, and a damaged snapshot still lists (as `unreadable`), never throws.
 */
export function listingOf(row: OnboardingRow): OnboardingListing {
  const context = asObject(row.snapshot.context) ?? {};
  const eligibility: Partial<Record<ProductType, EligibilityStatus>> = {};
  if (Array.isArray(context.eligibility)) {
    for (const entry of context.eligibility) {
      // A snapshot written by an older version may name a product or status this one does not know.
      const e = asObject(entry);
      if (isOneOf(PRODUCT_TYPES, e?.type) && isOneOf(VERIFICATION_STATUSES, e?.status))
        eligibility[e.type] = e.status;
    }
  }
  const requested = asObject(context.requested);
  const failure = asObject(context.failure);
  return {
    userId: row.userId,
    state: row.state,
    statePath: row.snapshot.unreadable !== undefined ? 'unreadable' : pathOf(row.snapshot.value),
    outcome: row.outcome,
    eligibility,
    requested:
      requested === undefined
        ? null
        : {
            missingData: strings(requested.missingData),
            missingDocuments: strings(requested.missingDocuments),
          },
    attempts: row.attempts,
    errorKind: row.lastError === null ? null : errorKindOf(context),
    failureReason: typeof failure?.reason === 'string' ? failure.reason : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Every onboarding matching `filter`, page by page (keyset on the user id): constant memory. */
export async function* listOnboardings(
  store: OnboardingStore,
  filter: ListFilter = {},
): AsyncGenerator<OnboardingListing> {
  const limit = filter.pageSize ?? 1_000;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_PAGE_MAX) {
    throw new RangeError(
      `pageSize must be a whole number from 1 to ${LIST_PAGE_MAX}, not ${String(filter.pageSize)}`,
    );
  }
  let after = filter.after;
  for (;;) {
    const rows = await store.list({
      limit,
      ...(filter.states !== undefined && { states: filter.states }),
      ...(filter.outcome !== undefined && { outcome: filter.outcome }),
      ...(filter.changedSince !== undefined && { changedSince: filter.changedSince }),
      ...(after !== undefined && { after }),
    });
    for (const row of rows) yield listingOf(row);
    if (rows.length < limit) return;
    after = rows.at(-1)?.userId;
  }
}
