import type { SharedBudget } from '@kyc-handoff/core';

/**
 * A token bucket kept in the store (core's SharedBudget capability), so every worker of the store
 * draws from one Crossmint rate budget.
 */
export type SharedBudgetStore = SharedBudget;

/**
 * One upsert: the row lock taken by ON CONFLICT DO UPDATE serialises concurrent callers, and every
 * SET expression sees the row as it was before this statement, so the refill is computed once.
 * A clock behind the bucket's refills nothing and does not move `updated_at` back.
 * $1 name, $2 want, $3 now, $4 perMinute, $5 burst.
 */
export function takeTokensSql(table: string): string {
  const refill = `LEAST($5::float8, b.tokens + GREATEST(0, $3::bigint - b.updated_at) * $4::float8 / 60000.0)`;
  return `
    INSERT INTO ${table} AS b (name, tokens, updated_at, last_granted)
    VALUES ($1, $5::float8 - LEAST($2::float8, floor($5::float8)), $3::bigint, LEAST($2::float8, floor($5::float8)))
    ON CONFLICT (name) DO UPDATE SET
      tokens       = ${refill} - LEAST($2::float8, floor(${refill})),
      last_granted = LEAST($2::float8, floor(${refill})),
      updated_at   = GREATEST(b.updated_at, $3::bigint)
    RETURNING last_granted, tokens`;
}

/**
 * Puts back $2 unspent tokens: the refill up to now, plus them, never above the burst. No row yet
 * means none was ever taken, so nothing to put back. $1 name, $2 count, $3 now, $4 perMinute, $5 burst.
 */
export function returnTokensSql(table: string): string {
  return `
    UPDATE ${table} AS b SET
      tokens     = LEAST($5::float8, b.tokens + GREATEST(0, $3::bigint - b.updated_at) * $4::float8 / 60000.0 + $2::float8),
      updated_at = GREATEST(b.updated_at, $3::bigint)
    WHERE b.name = $1`;
}
