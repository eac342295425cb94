import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputRecordInput } from '@kyc-handoff/core';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { sampleRecord } from '@kyc-handoff/core/testing';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createSandbox, type Sandbox, type SandboxOptions } from '@kyc-handoff/sandbox';
import { openSqliteStore, type SqliteStore } from '@kyc-handoff/store-sqlite';
import { createHandoff, type Handoff, type HandoffOptions } from '../../src/index.js';

export const API_KEY = 'sk_staging_engine_tests_0001';

export interface Harness {
  sandbox: Sandbox;
  url: string;
  store: SqliteStore;
  handoff: Handoff;
  dbPath: string;
  keyring: string;
  close(): Promise<void>;
}

/** Engine + real HTTP client + in-process sandbox on loopback + a file-backed SQLite store. */
export async function startHarness(
  sandboxOptions: SandboxOptions = {},
  handoffOptions: Partial<HandoffOptions> = {},
): Promise<Harness> {
  const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, seed: 1, ...sandboxOptions });
  const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'kyc-engine-'));
  const dbPath = join(dir, 'handoff.db');
  const keyring = generateKey();
  const store = openSqliteStore({ path: dbPath, keyring: parseKeyring(keyring) });
  const crossmint = createCrossmintClient(
    { baseUrl: `${url}/api` },
    { apiKey: API_KEY, timeouts: { connectMs: 1_000, headersMs: 1_000, bodyMs: 1_000 } },
  );
  const handoff = createHandoff({
    crossmint,
    store,
    budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
    idleSweepMs: 50,
    ...handoffOptions,
  });
  return {
    sandbox,
    url,
    store,
    handoff,
    dbPath,
    keyring,
    async close() {
      await crossmint.close();
      await store.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A record for `userId`; `lastName` picks a sandbox outcome (Rejected, Pending, Incomplete). */
export function userRecord(userId: string, lastName = 'Smith', overrides: Partial<InputRecordInput> = {}) {
  const base = sampleRecord();
  return sampleRecord({ userId, userDetails: { ...base.userDetails!, lastName }, ...overrides });
}

export const locator = (userId: string) => `userId:${userId}`;
