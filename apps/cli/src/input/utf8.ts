import { type FieldIssue, USER_ID } from '@kyc-handoff/core';

/** What a refusal says about a field whose bytes are not UTF-8 (never the bytes themselves). */
export const NOT_UTF8 = 'is not valid UTF-8';

const fieldName = (path: readonly string[]) => (path.length === 0 ? '(line)' : path.join('.'));

/**
 * The fields of a leniently decoded value whose strings hold U+FFFD, where the invalid bytes landed
 * (a key holding one is reported on its parent). Called only once the bytes are known to be invalid,
 * so a genuine U+FFFD elsewhere in the same record is reported too: the price of not mapping byte
 * offsets back to fields.
 */
export function utf8Issues(value: unknown, path: readonly string[] = []): FieldIssue[] {
  if (typeof value === 'string') {
    return value.includes('\uFFFD') ? [{ field: fieldName(path), reason: NOT_UTF8 }] : [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const issues: FieldIssue[] = [];
  let badKey = false;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\uFFFD')) badKey = true;
    else issues.push(...utf8Issues(child, [...path, key]));
  }
  if (badKey) issues.unshift({ field: fieldName(path), reason: 'has a field name that is not valid UTF-8' });
  return issues;
}

/** The record's user id when it is one (so a refusal can say whom it is about), else undefined. */
export function readableUserId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { userId?: unknown }).userId;
  return typeof id === 'string' && USER_ID.test(id) ? id : undefined;
}
