import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';
import { ENCRYPTION_KEY_ENV, type Keyring } from './keyring.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs drawn from the CSPRNG per refill: a draw per IV cost 2 µs, a quarter of the encryption. */
const IVS_PER_REFILL = 1024;

export type RecordCipherErrorKind = 'malformed' | 'unknown-key' | 'authentication-failed';

/** Why a ciphertext could not be opened; the message never contains key material or plaintext. */
export class RecordCipherError extends Error {
  override readonly name = 'RecordCipherError';
  constructor(
    readonly kind: RecordCipherErrorKind,
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
  }
}

export interface RecordCipher {
  /** Id of the key new ciphertexts are made with. */
  readonly currentKeyId: string;
  /**
   * AES-256-GCM under the current key with a random 12-byte IV. The result is
   * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). `associatedData` (e.g. the user id) is
   * authenticated but not stored: decrypting needs the same value, so a ciphertext moved to another
   * user's row is refused.
   */
  encrypt(plaintext: string, associatedData?: string): string;
  /** Opens a ciphertext with the key it names; throws RecordCipherError. */
  decrypt(ciphertext: string, associatedData?: string): string;
  /** The key id a ciphertext was made with, without decrypting it. */
  keyIdOf(ciphertext: string): string;
  /**
   * HMAC-SHA256 of `canonicalJson` under a key derived from the current key, as `<keyId>:<mac>`.
   * Lets a store tell whether a record changed without keeping a plain hash, which could be
   * brute-forced for low-entropy data such as SSNs.
   */
  digest(canonicalJson: string): string;
  /**
   * Whether `digest` is the digest of `canonicalJson`, under the key the digest names, so that
   * records digested before a key rotation still compare equal. False if that key is gone.
   */
  digestMatches(canonicalJson: string, digest: string): boolean;
}

export function createRecordCipher(keyring: Keyring): RecordCipher {
  // A separate MAC key per encryption key: using one key for two algorithms is avoidable risk.
  const macKeys = new Map<string, Buffer>();
  const macKey = (id: string): Buffer | undefined => {
    let mk = macKeys.get(id);
    if (mk === undefined) {
      const key = keyring.keyFor(id);
      if (key === undefined) return undefined;
      mk = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'kyc-handoff record digest v1', 32));
      macKeys.set(id, mk);
    }
    return mk;
  };
  const mac = (id: string, text: string): string | undefined => {
    const key = macKey(id);
    return key === undefined ? undefined : createHmac('sha256', key).update(text, 'utf8').digest('base64url');
  };
  // Every IV is still 12 fresh random bytes used once; they are only drawn in bulk.
  const ivPool = Buffer.alloc(IV_BYTES * IVS_PER_REFILL);
  let ivOffset = ivPool.length;
  const nextIv = (): Buffer => {
    if (ivOffset === ivPool.length) {
      randomFillSync(ivPool);
      ivOffset = 0;
    }
    const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
    ivOffset += IV_BYTES;
    return iv;
  };
  const aad = (keyId: string, associatedData: string | undefined) =>
    Buffer.from(`${VERSION}.${keyId}.${associatedData ?? ''}`, 'utf8');

  const split = (ciphertext: string) => {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) {
      throw new RecordCipherError(
        'malformed',
        `not a ${VERSION} ciphertext (expected 5 dot-separated parts starting with ${VERSION})`,
      );
    }
    const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
    return { keyId, iv, tag, body };
  };

  return {
    currentKeyId: keyring.currentId,

    encrypt(plaintext, associatedData) {
      const keyId = keyring.currentId;
      const key = keyring.keyFor(keyId)!;
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(keyId, associatedData));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        VERSION,
        keyId,
        iv.toString('base64url'),
        tag.toString('base64url'),
        body.toString('base64url'),
      ].join('.');
    },

    decrypt(ciphertext, associatedData) {
      const { keyId, iv, tag, body } = split(ciphertext);
      const key = keyring.keyFor(keyId);
      if (key === undefined) {
        throw new RecordCipherError(
          'unknown-key',
          `encrypted with key id ${keyId}, which is not in ${ENCRYPTION_KEY_ENV} (it has ${keyring.ids.join(', ')}); ` +
            `after a rotation keep the old key after the new one, e.g. new:BASE64,${keyId}:BASE64`,
          keyId,
        );
      }
      const ivBytes = Buffer.from(iv, 'base64url');
      const tagBytes = Buffer.from(tag, 'base64url');
      if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
        throw new RecordCipherError('malformed', `ciphertext has a bad IV or tag length`, keyId);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(keyId, associatedData));
        decipher.setAuthTag(tagBytes);
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new RecordCipherError(
          'authentication-failed',
          `could not decrypt with key id ${keyId}: the key under that id is not the one used to encrypt, ` +
            'or the data was altered',
          keyId,
        );
      }
    },

    keyIdOf(ciphertext) {
      return split(ciphertext).keyId;
    },

    digest(canonicalJson) {
      return `${keyring.currentId}:${mac(keyring.currentId, canonicalJson)!}`;
    },

    digestMatches(canonicalJson, digest) {
      const colon = digest.indexOf(':');
      if (colon === -1) return false;
      const expected = mac(digest.slice(0, colon), canonicalJson);
      if (expected === undefined) return false;
      const a = Buffer.from(digest.slice(colon + 1));
      const b = Buffer.from(expected);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
