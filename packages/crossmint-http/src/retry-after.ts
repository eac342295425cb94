export interface RetryAfterPolicy {
  /** Used when the header is absent or unparseable. */
  defaultMs: number;
  /** No wait longer than this is passed on. */
  capMs: number;
}

const SECONDS = /^\s*(\d+(?:\.\d+)?)\s*$/;

/**
 * `Retry-After` as milliseconds: either delay-seconds or an HTTP-date (relative to `nowMs`).
 * A date in the past means "now" (0); anything else unusable gives the default; all is capped.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  nowMs: number,
  policy: RetryAfterPolicy,
): number {
  const value = Array.isArray(header) ? header[0] : header;
  return Math.min(policy.capMs, Math.max(0, Math.round(rawRetryAfter(value, nowMs) ?? policy.defaultMs)));
}

function rawRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = SECONDS.exec(value);
  if (seconds) return Number(seconds[1]) * 1000;
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse also reads).
  // Require a letter so that bare numbers like "-5" are not read as years.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at - nowMs;
}
