import { StoredRecordError } from '../ports/store.js';
import { describeIssues, InputRecord, RECORD_RULES_VERSION } from '../schemas/record.js';
import type { RecordCipher } from './record-cipher.js';

/**
 * A stored ciphertext back as the record it encrypts, for every store alike. A ciphertext that does
 * not open, or a record that no longer validates (written under an older, looser schema, or altered
 * under a key that still authenticates), is a StoredRecordError of that user: the engine
 * quarantines that onboarding and goes on with the others.
 *
 * `validatedUnder`: the RECORD_RULES_VERSION the store says the record was validated under when it
 * was written. Under the current version the record is not validated again: the ciphertext is
 * authenticated with the user id, so its bytes are the ones written, and validation was a third
 * of the cost of loading a record. Any other version, or none, is validated.
 */
export function openStoredRecord(
  cipher: RecordCipher,
  userId: string,
  ciphertext: string,
  validatedUnder?: number | null,
): InputRecord {
  let json: string;
  try {
    json = cipher.decrypt(ciphertext, userId);
  } catch (error) {
    throw new StoredRecordError(
      'record-unreadable',
      userId,
      `cannot read the record of user ${userId}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new StoredRecordError('record-invalid', userId, `the stored record of user ${userId} is not JSON`);
  }
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (validatedUnder === RECORD_RULES_VERSION && isObject) {
    return value as InputRecord;
  }
  const parsed = InputRecord.safeParse(value);
  if (!parsed.success) {
    const fields = describeIssues(parsed.error)
      .map((i) => `${i.field} ${i.reason}`)
      .join('; ');
    throw new StoredRecordError(
      'record-invalid',
      userId,
      `the stored record of user ${userId} no longer passes validation: ${fields}`,
    );
  }
  return parsed.data;
}
