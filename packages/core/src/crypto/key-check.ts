import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ENCRYPTION_KEY_ENV, type Keyring } from './keyring.js';
import { createRecordCipher, type RecordCipherError } from './record-cipher.js';

/** A store's proof of which key it knows under an id: an HMAC of a constant, never the key. */
export interface StoredKeyCheck {
  keyId: string;
  check: string;
}

/** A key id that encrypts stored records, with one such record when the id has no check yet. */
export interface KeyIdInUse {
  keyId: string;
  sample?: { userId: string; ciphertext: string } | undefined;
}

export type KeyringMismatch = 'missing-key' | 'wrong-key';

/**
 * The keyring cannot open this store: a key id its records use is absent, or an id holds another
 * key than the one the store was encrypted with. Raised when the store opens, before any call, so
 * a wrong key is one clear line instead of every record reported as changed and retried forever.
 * The message names key ids only, never key material.
 */
export class KeyringMismatchError extends Error {
  override readonly name = 'KeyringMismatchError';
  constructor(
    readonly problem: KeyringMismatch,
    readonly keyId: string,
    message: string,
  ) {
    super(message);
  }
}

/** True for a KeyringMismatchError, also one thrown by another copy of this package. */
export function isKeyringMismatchError(error: unknown): error is KeyringMismatchError {
  return error instanceof Error && error.name === 'KeyringMismatchError' && 'keyId' in error;
}

const CHECK_INFO = 'kyc-handoff key check v1';

/** The check of the key under `keyId`, or undefined when the keyring has no such id. */
export function keyCheckOf(keyring: Keyring, keyId: string): string | undefined {
  const key = keyring.keyFor(keyId);
  if (key === undefined) return undefined;
  // A key of its own for the check: the check is stored in the clear beside the ciphertexts.
  const checkKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), CHECK_INFO, 32));
  return createHmac('sha256', checkKey).update(CHECK_INFO, 'utf8').digest('base64url');
}

const sameCheck = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function missingKey(keyring: Keyring, keyId: string): KeyringMismatchError {
  return new KeyringMismatchError(
    'missing-key',
    keyId,
    `this store was encrypted with key id ${keyId}, which ${ENCRYPTION_KEY_ENV} does not contain ` +
      `(it has ${keyring.ids.join(', ')}): give the key this store was encrypted with; during a ` +
      `rotation keep the old key after the new one, e.g. new:BASE64,${keyId}:BASE64`,
  );
}

function wrongKey(keyId: string): KeyringMismatchError {
  return new KeyringMismatchError(
    'wrong-key',
    keyId,
    `the key with id ${keyId} in ${ENCRYPTION_KEY_ENV} is not the one this store was encrypted with ` +
      'under that id: set the key this store was created with',
  );
}

/**
 * Decides at open whether `keyring` fits a store, and which checks the store must add. Throws a
 * KeyringMismatchError when it does not fit. A key id in use without a check (a store written before
 * checks existed) is settled by decrypting its sample record. The current key always gets a check,
 * so records it encrypts from now on are covered.
 */
export function verifyKeyring(
  keyring: Keyring,
  checks: readonly StoredKeyCheck[],
  inUse: readonly KeyIdInUse[],
): StoredKeyCheck[] {
  const known = new Map(checks.map((c) => [c.keyId, c.check]));
  for (const { keyId } of inUse) if (!keyring.has(keyId)) throw missingKey(keyring, keyId);
  for (const [keyId, check] of known) {
    const expected = keyCheckOf(keyring, keyId);
    if (expected !== undefined && !sameCheck(expected, check)) throw wrongKey(keyId);
  }
  const add: StoredKeyCheck[] = [];
  const cipher = createRecordCipher(keyring);
  for (const { keyId, sample } of inUse) {
    if (known.has(keyId)) continue;
    if (sample !== undefined) {
      try {
        cipher.decrypt(sample.ciphertext, sample.userId);
      } catch (error) {
        // A malformed sample is a corrupt row, which the engine quarantines; it says nothing of the key.
        if ((error as RecordCipherError).kind === 'authentication-failed') throw wrongKey(keyId);
      }
    }
    add.push({ keyId, check: keyCheckOf(keyring, keyId)! });
    known.set(keyId, add.at(-1)!.check);
  }
  if (!known.has(keyring.currentId)) {
    add.push({ keyId: keyring.currentId, check: keyCheckOf(keyring, keyring.currentId)! });
  }
  return add;
}
