import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/index.js';

const policy = { defaultMs: 60_000, capMs: 300_000 };
const now = Date.parse('2026-01-01T00:00:00.000Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('7', now, policy)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now, policy)).toBe(0);
    expect(parseRetryAfter(['3', '9'], now, policy)).toBe(3000);
  });

  it('reads an HTTP-date relative to now, a past date meaning now', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now, policy)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now, policy)).toBe(0);
  });

  it('uses the default when absent or unparseable', () => {
    expect(parseRetryAfter(undefined, now, policy)).toBe(60_000);
    expect(parseRetryAfter('', now, policy)).toBe(60_000);
    expect(parseRetryAfter('soon', now, policy)).toBe(60_000);
    expect(parseRetryAfter('-5', now, policy)).toBe(60_000);
  });

  it('caps long waits, in seconds and as dates', () => {
    expect(parseRetryAfter('86400', now, policy)).toBe(300_000);
    expect(parseRetryAfter('Fri, 01 Jan 2027 00:00:00 GMT', now, policy)).toBe(300_000);
    expect(parseRetryAfter(undefined, now, { defaultMs: 900_000, capMs: 300_000 })).toBe(300_000);
  });

  it('always gives a finite wait between 0 and the cap, whatever the header', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), (header) => {
        const ms = parseRetryAfter(header, now, policy);
        return Number.isFinite(ms) && ms >= 0 && ms <= policy.capMs;
      }),
    );
  });
});
