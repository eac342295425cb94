import { StoredRecordError } from '../ports/store.js';
import { describeIssues, InputRecord } from '../schemas/record.js';
import type { RecordCipher } from './record-cipher.js';

/**
 * A stored ciphertext back as the record it encrypts, for every store alike. A ciphertext that does
 * not open, or a record that no longer validates (written under an older, looser schema, or altered
 * under a key that still authenticates), is a StoredRecordError of that user: the engine
 * quarantines that onboarding and goes on with the others.
 */
export function openStoredRecord(cipher: RecordCipher, userId: string, ciphertext: string): InputRecord {
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
