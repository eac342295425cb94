import {
  CROSSMINT_ERROR_KINDS,
  QUARANTINE_REASONS,
  TOP_LEVEL_STATES,
  type TopLevelState,
} from '@kyc-handoff/core';
import { InvalidArgumentError } from 'commander';

const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO 8601 instant as epoch ms: a date (midnight UTC) or a date and time with `Z` or an offset.
 * A time without a zone is refused: it would mean a different instant on each machine.
 */
export function isoInstant(value: string): number {
  const ms = ISO.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError(
      'must be an ISO 8601 date or time with a zone, e.g. 2026-03-01 or 2026-03-01T12:00:00Z',
    );
  }
  return ms;
}

/** A comma-separated list of top-level states (`verified,failed`). */
export function stateList(value: string): TopLevelState[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of list) {
    if (!(TOP_LEVEL_STATES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(
        `unknown state; use a comma-separated list of ${TOP_LEVEL_STATES.join(', ')}`,
      );
    }
  }
  if (list.length === 0) throw new InvalidArgumentError('name at least one state');
  return [...new Set(list)] as TopLevelState[];
}

/**
 * What an onboarding can have failed of: a Crossmint error kind, one of the machine's own limits
 * (core's FailureReason has no runtime list of these two), or a quarantine.
 */
export const FAILURE_KINDS: readonly string[] = [
  ...CROSSMINT_ERROR_KINDS,
  'verification-deadline',
  'policy-not-recorded',
  ...QUARANTINE_REASONS,
];

/** A comma-separated list of error kinds or failure reasons (`transient,invalid-data`). */
export function kindList(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new InvalidArgumentError('name at least one kind');
  for (const k of list) {
    if (!FAILURE_KINDS.includes(k)) {
      throw new InvalidArgumentError(
        `unknown kind; use a comma-separated list of ${FAILURE_KINDS.join(', ')}`,
      );
    }
  }
  return [...new Set(list)];
}
