import { describe, expect, it } from 'vitest';
import { clip, redact, secretsOf } from './redact.js';

describe('redact', () => {
  it('removes every string we sent, case-insensitively, but keeps enumerations', () => {
    const secrets = secretsOf({
      kycData: { email: 'a.b@c.de', identityDocument: { type: 'passport', number: 'X12 345' } },
    });
    expect(secrets).toContain('X12 345');
    expect(secrets).not.toContain('passport');
    expect(redact('bad passport X12 345 for A.B@C.DE', secrets)).toBe(
      'bad passport [redacted] for [redacted]',
    );
  });

  it('removes shapes of personal data it was not told about', () => {
    expect(
      redact('ssn 987-65-4320, born 1980-02-03, phone +1 305 555 0100, mail x@y.io, key sk_live_abc', []),
    ).toBe('ssn [redacted], born [redacted], phone [redacted], mail [redacted], key [redacted]');
    expect(redact('field kycData.email must be valid (code 42)', [])).toBe(
      'field kycData.email must be valid (code 42)',
    );
  });

  it('clip flattens whitespace and control characters and cuts with an ellipsis', () => {
    expect(clip('a\n\tb\u0000c', 10)).toBe('a b c');
    expect(clip('abcdef', 4)).toBe('abc…');
  });
});
