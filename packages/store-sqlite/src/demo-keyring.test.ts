import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateDemoKeyring } from './demo-keyring.js';
import { openSqliteStore } from './sqlite-store.js';

describe('demo keyring', () => {
  let dir: string;
  let dbPath: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kyc-handoff-demo-key-'));
    dbPath = join(dir, 'demo.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates <db>.key readable by the owner only, and says it did', () => {
    const demo = loadOrCreateDemoKeyring(dbPath);
    expect(demo.created).toBe(true);
    expect(demo.keyFile).toBe(`${dbPath}.key`);
    expect(statSync(demo.keyFile).mode & 0o777).toBe(0o600);
    expect(demo.keyring.currentId).toBe('demo');
  });

  it('reuses the same key on the next run, so the records stay readable', async () => {
    const first = loadOrCreateDemoKeyring(dbPath);
    const store = openSqliteStore({ path: dbPath, keyring: first.keyring });
    await store.submit([sampleOnboarding(sampleRecord({ userId: 'alice' }))], { now: 1 });
    await store.close();
    const keyText = readFileSync(first.keyFile, 'utf8');

    const second = loadOrCreateDemoKeyring(dbPath);
    expect(second.created).toBe(false);
    expect(readFileSync(second.keyFile, 'utf8')).toBe(keyText);
    const reopened = openSqliteStore({ path: dbPath, keyring: second.keyring });
    expect((await reopened.loadRecord('alice'))?.userId).toBe('alice');
    await reopened.close();
  });

  it('refuses a key file other users can read', () => {
    const { keyFile } = loadOrCreateDemoKeyring(dbPath);
    chmodSync(keyFile, 0o644);
    expect(() => loadOrCreateDemoKeyring(dbPath)).toThrow(
      /can be read by other users \(mode 644\).*chmod 600/,
    );
  });

  it('has no place to keep a key for an in-memory database', () => {
    expect(() => loadOrCreateDemoKeyring(':memory:')).toThrow(/in-memory/);
  });
});
