import { describe, expect, it } from 'vitest';
import { paths, segment } from '../src/paths.js';

describe('paths', () => {
  it('encodes the locator as one path segment', () => {
    expect(paths.user('userId:alice')).toBe('/2025-06-09/users/userId%3Aalice');
    expect(paths.legalDocuments('userId:a/b?c#d')).toBe(
      '/2025-06-09/users/userId%3Aa%2Fb%3Fc%23d/legal-documents',
    );
    expect(paths.verification('email:a@b.c')).toBe('/2025-06-09/users/email%3Aa%40b.c/identity-verification');
    expect(paths.documents()).toBe('/2025-06-09/documents');
    expect(paths.document('doc_1')).toBe('/2025-06-09/documents/doc_1');
  });

  it('never lets a value walk to another endpoint', () => {
    expect(paths.document('..')).toBe('/2025-06-09/documents/%2E%2E');
    expect(segment('.')).toBe('%2E');
    expect(() => segment('')).toThrow(TypeError);
  });
});
