import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countryCode,
  e164Phone,
  isIsoDate,
  isIsoUtcDateTime,
  isoUtcDateTime,
  isoUtcDateTimeLenient,
  text,
} from './formats.js';

describe('calendar dates (YYYY-MM-DD)', () => {
  it.each([
    ['1990-01-15', true],
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['2023-02-29', false],
    ['1900-02-29', false],
    ['2026-02-30', false],
    ['2026-04-31', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-01-00', false],
    ['2026-1-5', false],
    ['15/01/1990', false],
    ['1990-01-15T00:00:00Z', false],
    ['', false],
  ])('%s is a calendar date: %s', (value, ok) => {
    expect(isIsoDate(value)).toBe(ok);
  });
});

describe('calendar dates against Date', () => {
  it('a day exists exactly when Date.UTC keeps it in its month, for any year 0000–9999', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (year, month, day) => {
          const date = new Date(0);
          date.setUTCFullYear(year, month - 1, day);
          const exists = month >= 1 && month <= 12 && day >= 1 && date.getUTCDate() === day;
          expect(isIsoDate(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`)).toBe(exists);
        },
      ),
      { seed: 3, numRuns: 2000 },
    );
  });
});

describe('UTC date-times', () => {
  it.each([
    ['2026-01-01T00:00:00.000Z', true, true],
    ['2026-01-01T00:00:00Z', true, true],
    ['2026-01-01T00:00Z', true, true],
    ['2026-01-01T23:59:59.9Z', true, true],
    ['2026-01-01T00:00:00.000', false, true],
    ['2026-01-01T00:00', false, true],
    ['2026-02-30T00:00:00.000Z', false, false],
    ['2026-01-01T24:00:00Z', false, false],
    ['2026-01-01T12:60:00Z', false, false],
    ['2026-01-01T00:00:00+01:00', false, false],
    ['2026-01-01 00:00:00Z', false, false],
    ['2026-01-01', false, false],
  ])('%s: strict %s, lenient %s', (value, strict, lenient) => {
    expect(isIsoUtcDateTime(value, true)).toBe(strict);
    expect(isIsoUtcDateTime(value, false)).toBe(lenient);
    expect(isoUtcDateTime.safeParse(value).success).toBe(strict);
    expect(isoUtcDateTimeLenient.safeParse(value).success).toBe(lenient);
  });

  it('the lenient form adds the missing Z and leaves a present one alone', () => {
    expect(isoUtcDateTimeLenient.parse('2026-01-01T00:00:00.000')).toBe('2026-01-01T00:00:00.000Z');
    expect(isoUtcDateTimeLenient.parse('2026-01-01T00:00:00.000Z')).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('country codes, phone numbers and free text', () => {
  it.each([
    ['US', true],
    ['DE', true],
    ['us', false],
    ['USA', false],
    ['U', false],
    ['U1', false],
  ])('%s is a country code: %s', (value, ok) => {
    expect(countryCode.safeParse(value).success).toBe(ok);
  });

  it.each([
    ['+13055550100', true],
    ['+442071838750', true],
    ['13055550100', false],
    ['+0305555010', false],
    ['+1 305 555 0100', false],
    ['+1234567890123456', false],
  ])('%s is an E.164 phone number: %s', (value, ok) => {
    expect(e164Phone.safeParse(value).success).toBe(ok);
  });

  it('free text is trimmed, must not be empty and is bounded', () => {
    const name = text(5);
    expect(name.parse('  Ada ')).toBe('Ada');
    expect(name.safeParse('   ').success).toBe(false);
    expect(name.safeParse('abcdef').success).toBe(false);
    expect(name.safeParse('abcde').success).toBe(true);
  });
});
