import { z } from 'zod';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,3}))?)?(Z)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Proleptic Gregorian, as Date.UTC counts: every record has several dates, and a Date each was a
// measurable part of the submit.
function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

export function isIsoDate(value: string): boolean {
  const m = DATE.exec(value);
  return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** A UTC date-time as Crossmint wants it; `requireZ: false` accepts the documented examples without `Z`. */
export function isIsoUtcDateTime(value: string, requireZ = true): boolean {
  const m = DATE_TIME.exec(value);
  if (m === null) return false;
  if (requireZ && m[8] !== 'Z') return false;
  return isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

export const isoDate = z.string().refine(isIsoDate, { message: 'must be a calendar date YYYY-MM-DD' });

/** Strict: what we always emit. */
export const isoUtcDateTime = z
  .string()
  .refine((v) => isIsoUtcDateTime(v, true), { message: 'must be an ISO 8601 UTC date-time ending in Z' });

/** Lenient on input (documentation examples omit the Z); always normalised to end in Z. */
export const isoUtcDateTimeLenient = z
  .string()
  .refine((v) => isIsoUtcDateTime(v, false), {
    message: 'must be an ISO 8601 UTC date-time (YYYY-MM-DDTHH:mm[:ss[.fff]]Z)',
  })
  .transform((v) => (v.endsWith('Z') ? v : `${v}Z`));

export const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code in capitals, such as US' });

export const e164Phone = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, { message: 'must be an E.164 phone number such as +13055550100' });

/** Free text with a bound, so one oversized field cannot bloat a request or the store. */
export const text = (max = 200) =>
  z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` });
