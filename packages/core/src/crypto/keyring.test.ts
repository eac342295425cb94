import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateKey, parseKeyring } from './keyring.js';

const key = () => randomBytes(32).toString('base64');

describe('parseKeyring', () => {
  it('a bare key gets id k1 and encrypts', () => {
    const ring = parseKeyring(key());
    expect(ring.currentId).toBe('k1');
    expect(ring.ids).toEqual(['k1']);
  });

  it('the first of several ID:BASE64 keys is current, all are kept for decryption', () => {
    const ring = parseKeyring(`2026b:${key()}, 2026a:${key()}`);
    expect(ring.currentId).toBe('2026b');
    expect(ring.ids).toEqual(['2026b', '2026a']);
  });

  it('accepts base64url keys', () => {
    const ring = parseKeyring(`u:${randomBytes(32).toString('base64url')}`);
    expect(ring.keyFor('u')).toHaveLength(32);
  });

  it('refuses a key that is not 32 bytes, naming the entry and its length', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseKeyring(`new:${key()},old:${short}`)).toThrow(
      /entry 2 \(id old\).*16 bytes.*exactly 32/,
    );
  });

  it('refuses non-base64, empty entries, duplicate ids and bad ids', () => {
    expect(() => parseKeyring('')).toThrow(/is empty/);
    expect(() => parseKeyring(`a:${key()},`)).toThrow(/entry 2 is empty/);
    expect(() => parseKeyring(`a:not base64!`)).toThrow(/entry 1 \(id a\).*not base64/);
    expect(() => parseKeyring(`a:${key()},a:${key()}`)).toThrow(/id a is used twice/);
    expect(() => parseKeyring(`${key()},${key()}`)).toThrow(/used twice.*explicit ID/);
    expect(() => parseKeyring(`bad id!:${key()}`)).toThrow(/entry 1: the id must be/);
  });

  it('never puts key material in an error message', () => {
    const secrets = [
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      'c2VjcmV0IGtleQ==',
    ];
    for (const secret of secrets) {
      for (const value of [secret, `id:${secret}`, `${key()},x:${secret}`, `${secret}:${key()}`]) {
        let message = '';
        try {
          parseKeyring(value);
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).not.toBe('');
        expect(message).not.toContain(secret);
      }
    }
  });

  it('logging or serialising a keyring shows ids only', () => {
    const material = key();
    const ring = parseKeyring(`main:${material}`);
    const hex = Buffer.from(material, 'base64').toString('hex');
    for (const shown of [inspect(ring), JSON.stringify(ring), String(ring)]) {
      expect(shown).not.toContain(material);
      expect(shown).not.toContain(hex);
    }
    expect(inspect(ring)).toContain('main');
  });

  it('generateKey gives a fresh 32-byte key parseKeyring accepts', () => {
    const a = generateKey();
    expect(Buffer.from(a, 'base64')).toHaveLength(32);
    expect(generateKey()).not.toBe(a);
    expect(parseKeyring(a).currentId).toBe('k1');
  });
});
