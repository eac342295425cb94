import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { generateKey, type Keyring, parseKeyring } from '@kyc-handoff/core/crypto';

export interface DemoKeyring {
  keyring: Keyring;
  /** True when this call generated the key: the caller should warn that it is a demo key. */
  created: boolean;
  /** Where the key is kept (`<dbPath>.key`, mode 0600). */
  keyFile: string;
}

/** The id demo keys carry, so a later rotation to a real key can name it: `new:…,demo:…`. */
export const DEMO_KEY_ID = 'demo';

/**
 * For demo and sandbox runs only: a key generated once and kept in `<dbPath>.key`, readable by the
 * owner only. Anyone who can read that file can read the records, so production sets
 * KYC_HANDOFF_ENCRYPTION_KEY instead.
 */
export function loadOrCreateDemoKeyring(dbPath: string): DemoKeyring {
  if (dbPath === '' || dbPath === ':memory:') {
    throw new Error('a demo key is kept next to the database file; an in-memory database has none');
  }
  const keyFile = `${dbPath}.key`;
  let created = false;
  try {
    // wx: never overwrite a key that appeared meanwhile; losing it would make every record unreadable.
    writeFileSync(keyFile, `${DEMO_KEY_ID}:${generateKey()}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = statSync(keyFile).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `the demo key file ${keyFile} can be read by other users (mode ${mode.toString(8)}); run chmod 600 on it`,
    );
  }
  let keyring: Keyring;
  try {
    keyring = parseKeyring(readFileSync(keyFile, 'utf8').trim());
  } catch (error) {
    throw new Error(`the demo key file ${keyFile} is not a valid key: ${(error as Error).message}`);
  }
  return { keyring, created, keyFile };
}
