import { describe, expect, it } from 'vitest';
import { flipChar } from '../__test-utils__/tamper.js';
import { isStoredRecordError } from '../ports/store.js';
import { RECORD_RULES_VERSION } from '../schemas/record.js';
import { CANARY, canaryRecord, sampleRecord } from '../testing/fixtures.js';
import { canonicalJson } from './canonical-json.js';
import { generateKey, parseKeyring } from './keyring.js';
import { createRecordCipher } from './record-cipher.js';
import { openStoredRecord } from './stored-record.js';

const cipher = createRecordCipher(parseKeyring(generateKey()));
const seal = (value: unknown, userId: string) => cipher.encrypt(JSON.stringify(value), userId);

/** The canary record with a date of birth no rule accepts, as a looser earlier version might have stored it. */
const invalid = {
  ...canaryRecord('u1'),
  userDetails: { ...canaryRecord('u1').userDetails!, dateOfBirth: '1990-13-45' },
};

function problemOf(open: () => unknown): { problem: string; message: string } {
  try {
    open();
  } catch (error) {
    if (isStoredRecordError(error)) return { problem: error.problem, message: error.message };
    throw error;
  }
  throw new Error('expected a StoredRecordError');
}

describe('openStoredRecord', () => {
  it('opens a valid record whatever version it was validated under', () => {
    const record = sampleRecord({ userId: 'u1' });
    const stored = cipher.encrypt(canonicalJson(record), 'u1');
    for (const under of [undefined, null, RECORD_RULES_VERSION - 1, RECORD_RULES_VERSION]) {
      expect(openStoredRecord(cipher, 'u1', stored, under)).toEqual(record);
    }
  });

  it('validates a record stored under an earlier version, or none, and names the field but never its value', () => {
    const stored = seal(invalid, 'u1');
    for (const under of [undefined, null, RECORD_RULES_VERSION - 1, RECORD_RULES_VERSION + 1]) {
      const { problem, message } = problemOf(() => openStoredRecord(cipher, 'u1', stored, under));
      expect(problem).toBe('record-invalid');
      expect(message).toMatch(/no longer passes validation: userDetails\.dateOfBirth/);
      for (const value of ['1990-13-45', CANARY.ssn, CANARY.email]) expect(message).not.toContain(value);
    }
  });

  it('does not validate again a record stored under the current version: its store vouches for it', () => {
    expect(openStoredRecord(cipher, 'u1', seal(invalid, 'u1'), RECORD_RULES_VERSION)).toEqual(invalid);
  });

  it('refuses JSON that is not an object even under the current version', () => {
    for (const value of [42, null, 'text', [invalid]]) {
      expect(
        problemOf(() => openStoredRecord(cipher, 'u1', seal(value, 'u1'), RECORD_RULES_VERSION)).problem,
      ).toBe('record-invalid');
    }
  });

  it('refuses a ciphertext of another user, or damaged, under any version', () => {
    const stored = cipher.encrypt(canonicalJson(sampleRecord({ userId: 'u1' })), 'u1');
    const damaged = flipChar(stored, stored.length - 2);
    for (const [userId, ciphertext] of [
      ['u2', stored],
      ['u1', damaged],
    ] as const) {
      expect(
        problemOf(() => openStoredRecord(cipher, userId, ciphertext, RECORD_RULES_VERSION)).problem,
      ).toBe('record-unreadable');
    }
  });
});
