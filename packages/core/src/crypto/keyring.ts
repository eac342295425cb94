import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** The environment variable the keyring is read from; named in every error that asks for a key. */
export const ENCRYPTION_KEY_ENV = 'KYC_HANDOFF_ENCRYPTION_KEY';

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;
/** The id a key given without one receives, so a single bare key needs no syntax to learn. */
export const DEFAULT_KEY_ID = 'k1';

/**
 * Encryption keys by id. The first key encrypts; every key decrypts, so a key can be rotated by
 * putting the new one first and keeping the old one until every record is re-encrypted or erased.
 *
 * The key bytes live in a private field: logging or serialising a keyring shows only its ids.
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** Id of the key that encrypts. */
  readonly currentId: string;

  constructor(entries: readonly { id: string; key: Buffer }[]) {
    const first = entries[0];
    if (first === undefined) throw new Error('a keyring needs at least one key');
    const keys = new Map<string, Buffer>();
    for (const { id, key } of entries) {
      if (!KEY_ID.test(id)) throw new Error(`key id "${id}" must be 1-32 letters, digits, _ or -`);
      if (key.length !== KEY_BYTES) throw new Error(`key ${id} must be ${KEY_BYTES} bytes`);
      if (keys.has(id)) throw new Error(`key id ${id} appears twice`);
      keys.set(id, Buffer.from(key));
    }
    this.#keys = keys;
    this.currentId = first.id;
  }

  /** Every key id, current first. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The raw key for `id`; only the cipher should need this. */
  keyFor(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { currentId: string; ids: string[] } {
    return { currentId: this.currentId, ids: this.ids };
  }

  [inspect.custom](): string {
    return `Keyring { current: ${this.currentId}, ids: [${this.ids.join(', ')}] }`;
  }
}

/**
 * Parses `KYC_HANDOFF_ENCRYPTION_KEY`: comma-separated `ID:BASE64` entries (a single bare `BASE64`
 * gets id `k1`). Errors name the entry by position and id, never its key material.
 */
export function parseKeyring(value: string): Keyring {
  const rawEntries = value.split(',').map((e) => e.trim());
  if (rawEntries.every((e) => e === '')) {
    throw new Error(`${ENCRYPTION_KEY_ENV} is empty: give one or more ID:BASE64 keys of 32 bytes`);
  }
  const entries: { id: string; key: Buffer }[] = [];
  const seen = new Set<string>();
  rawEntries.forEach((entry, index) => {
    const position = `entry ${index + 1}`;
    if (entry === '') throw new Error(`${ENCRYPTION_KEY_ENV} ${position} is empty (stray comma?)`);
    const colon = entry.indexOf(':');
    const id = colon === -1 ? DEFAULT_KEY_ID : entry.slice(0, colon).trim();
    const material = colon === -1 ? entry : entry.slice(colon + 1).trim();
    const label = colon === -1 ? `${position} (no id, so ${DEFAULT_KEY_ID})` : `${position} (id ${id})`;
    if (colon !== -1 && !KEY_ID.test(id)) {
      // The id may be a mangled key, so it is not echoed.
      throw new Error(`${ENCRYPTION_KEY_ENV} ${position}: the id must be 1-32 letters, digits, _ or -`);
    }
    if (seen.has(id)) {
      throw new Error(
        `${ENCRYPTION_KEY_ENV} ${label}: id ${id} is used twice` +
          (colon === -1 ? '; give every key but one an explicit ID:' : ''),
      );
    }
    seen.add(id);
    if (!BASE64.test(material)) {
      throw new Error(`${ENCRYPTION_KEY_ENV} ${label}: the key is not base64`);
    }
    const key = Buffer.from(
      material,
      material.includes('-') || material.includes('_') ? 'base64url' : 'base64',
    );
    if (key.length !== KEY_BYTES) {
      throw new Error(
        `${ENCRYPTION_KEY_ENV} ${label}: the key decodes to ${key.length} bytes, it must be exactly ${KEY_BYTES}` +
          ' (generate one with `openssl rand -base64 32`)',
      );
    }
    entries.push({ id, key });
  });
  return new Keyring(entries);
}

/** A fresh key: base64 of 32 random bytes. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
