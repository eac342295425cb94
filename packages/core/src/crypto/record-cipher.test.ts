import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flipChar } from '../__test-utils__/tamper.js';
import { canonicalJson } from './canonical-json.js';
import { parseKeyring } from './keyring.js';
import { createRecordCipher, RecordCipherError } from './record-cipher.js';

const key = () => randomBytes(32).toString('base64');
const secret = '{"ssn":"987-65-4320","email":"canary@example.invalid"}';

describe('record cipher', () => {
  it('round-trips, and the ciphertext names its format and key but not the plaintext', () => {
    const cipher = createRecordCipher(parseKeyring(`main:${key()}`));
    const sealed = cipher.encrypt(secret, 'alice');
    expect(sealed).toMatch(/^v1\.main\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(sealed).not.toContain('987-65-4320');
    expect(cipher.keyIdOf(sealed)).toBe('main');
    expect(cipher.decrypt(sealed, 'alice')).toBe(secret);
  });

  it('uses a fresh IV each time, so equal plaintexts give different ciphertexts', () => {
    const cipher = createRecordCipher(parseKeyring(key()));
    expect(cipher.encrypt(secret)).not.toBe(cipher.encrypt(secret));
  });

  it('never repeats an IV, also across the refills of its pool of random bytes', () => {
    const cipher = createRecordCipher(parseKeyring(key()));
    const ivs = Array.from({ length: 5_000 }, (_, i) => {
      const sealed = cipher.encrypt(`${secret}${i}`, `user-${i}`);
      expect(cipher.decrypt(sealed, `user-${i}`)).toBe(`${secret}${i}`);
      return sealed.split('.')[2]!;
    });
    expect(new Set(ivs).size).toBe(ivs.length);
    for (const iv of ivs) expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
  });

  it('detects tampering with the IV, tag or ciphertext', () => {
    const cipher = createRecordCipher(parseKeyring(key()));
    const sealed = cipher.encrypt(secret);
    const parts = sealed.split('.');
    for (const part of [2, 3, 4]) {
      const altered = parts.map((p, i) => (i === part ? flipChar(p, 1) : p)).join('.');
      expect(() => cipher.decrypt(altered)).toThrow(RecordCipherError);
    }
  });

  it('refuses a ciphertext moved to another user (associated data differs)', () => {
    const cipher = createRecordCipher(parseKeyring(key()));
    const sealed = cipher.encrypt(secret, 'alice');
    expect(() => cipher.decrypt(sealed, 'mallory')).toThrow(/could not decrypt/);
  });

  it('refuses a ciphertext relabelled with another key id', () => {
    const cipher = createRecordCipher(parseKeyring(`a:${key()},b:${key()}`));
    const relabelled = cipher.encrypt(secret).replace('v1.a.', 'v1.b.');
    expect(() => cipher.decrypt(relabelled)).toThrow(RecordCipherError);
  });

  it('after a rotation, decrypts what the old key encrypted and encrypts with the new one', () => {
    const oldKey = key();
    const before = createRecordCipher(parseKeyring(`old:${oldKey}`));
    const sealed = before.encrypt(secret, 'alice');
    const after = createRecordCipher(parseKeyring(`new:${key()},old:${oldKey}`));
    expect(after.decrypt(sealed, 'alice')).toBe(secret);
    expect(after.keyIdOf(after.encrypt(secret))).toBe('new');
  });

  it('an unknown key id says which key is missing and how to rotate, without key material', () => {
    const oldKey = key();
    const newKey = key();
    const sealed = createRecordCipher(parseKeyring(`old:${oldKey}`)).encrypt(secret);
    const after = createRecordCipher(parseKeyring(`new:${newKey}`));
    let error: unknown;
    try {
      after.decrypt(sealed);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RecordCipherError);
    expect((error as RecordCipherError).kind).toBe('unknown-key');
    const message = (error as Error).message;
    expect(message).toMatch(/key id old.*not in KYC_HANDOFF_ENCRYPTION_KEY.*keep the old key/);
    expect(message).not.toContain(oldKey);
    expect(message).not.toContain(newKey);
    expect(message).not.toContain('987-65-4320');
  });

  it('a wrong key under the same id fails authentication without echoing anything secret', () => {
    const k1 = key();
    const k2 = key();
    const sealed = createRecordCipher(parseKeyring(k1)).encrypt(secret);
    let error: unknown;
    try {
      createRecordCipher(parseKeyring(k2)).decrypt(sealed);
    } catch (e) {
      error = e;
    }
    expect((error as RecordCipherError).kind).toBe('authentication-failed');
    const message = (error as Error).message;
    for (const forbidden of [k1, k2, '987-65-4320', sealed]) expect(message).not.toContain(forbidden);
  });

  it('refuses something that is not a v1 ciphertext', () => {
    const cipher = createRecordCipher(parseKeyring(key()));
    expect(() => cipher.decrypt('plain text')).toThrow(/not a v1 ciphertext/);
  });

  it('digests are keyed: equal records match, different records and other keys do not', () => {
    const k = key();
    const cipher = createRecordCipher(parseKeyring(`a:${k}`));
    const d = cipher.digest(secret);
    expect(d).toMatch(/^a:[\w-]{43}$/);
    expect(cipher.digest(secret)).toBe(d);
    expect(cipher.digest(`${secret} `)).not.toBe(d);
    expect(createRecordCipher(parseKeyring(`a:${key()}`)).digest(secret)).not.toBe(d);
    // A plain SHA-256 of the record would be brute-forceable; the digest is not one.
    expect(d).not.toContain(createHash('sha256').update(secret).digest('base64url'));
  });

  it('a digest made before a rotation still matches under the old key', () => {
    const oldKey = key();
    const d = createRecordCipher(parseKeyring(`old:${oldKey}`)).digest(secret);
    const after = createRecordCipher(parseKeyring(`new:${key()},old:${oldKey}`));
    expect(after.digestMatches(secret, d)).toBe(true);
    expect(after.digestMatches(`${secret} `, d)).toBe(false);
    expect(createRecordCipher(parseKeyring(`new:${key()}`)).digestMatches(secret, d)).toBe(false);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('keeps an own __proto__ key, so a value with one never shares the digest of one without', () => {
    // Found by the property below: assigning out['__proto__'] set the prototype and dropped the key.
    const parsed = JSON.parse('{"b":1,"__proto__":{"x":2},"a":[{"__proto__":null}]}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":2},"a":[{"__proto__":null}],"b":1}');
    expect(canonicalJson(JSON.parse('{"__proto__":1}'))).not.toBe(canonicalJson({}));
  });

  it('orders keys exactly as sort() does, so digests stored before stay valid', () => {
    // The form digests were made with: keys through Array.prototype.sort(), at every depth.
    const bySort = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(bySort);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, bySort((value as Record<string, unknown>)[k])]),
      );
    };
    // Keys of every kind: unicode (astral ones sort by UTF-16 code units), digits, and objects
    // with more keys than the insertion sort takes.
    const key = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom('10', '9', 'a', 'B', '_'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(key, tie('node'), { maxKeys: 40 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(JSON.stringify(bySort(v)));
      }),
      { numRuns: 500 },
    );
  });
});
