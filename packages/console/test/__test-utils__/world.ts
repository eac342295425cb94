import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputRecord, InputRecordInput } from '@kyc-handoff/core';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { sampleRecord } from '@kyc-handoff/core/testing';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff, type Handoff, type HandoffOptions, VirtualClock } from '@kyc-handoff/engine';
import { followHandoffs } from '@kyc-handoff/engine/testing';
import { createSandbox, type Sandbox, type SandboxOptions } from '@kyc-handoff/sandbox';
import { openSqliteStore, type SqliteStore } from '@kyc-handoff/store-sqlite';
import { createMetrics, type Metrics } from '../../src/index.js';

export const API_KEY = 'sk_staging_console_metrics_tests_0001';

export interface MetricsWorld {
  clock: VirtualClock;
  sandbox: Sandbox;
  store: SqliteStore;
  handoff: Handoff;
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * A handoff over SQLite and the in-process sandbox on loopback, on one VirtualClock (minutes of
 * backoff and rate budget take milliseconds), with its metrics wired as the CLI wires them: created
 * first, handed to the HTTP client as its debug hook, attached once the handoff exists.
 */
export async function startMetricsWorld(
  handoffOptions: Partial<HandoffOptions> = {},
  sandboxOptions: SandboxOptions = {},
): Promise<MetricsWorld> {
  const clock = new VirtualClock();
  const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, seed: 1, clock, ...sandboxOptions });
  const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'kyc-console-metrics-'));
  const store = openSqliteStore({ path: join(dir, 'handoff.db'), keyring: parseKeyring(generateKey()) });
  const metrics = createMetrics({ now: () => clock.now() });
  const crossmint = createCrossmintClient(
    { baseUrl: `${url}/api` },
    {
      apiKey: API_KEY,
      timeouts: { connectMs: 1_000, headersMs: 1_000, bodyMs: 1_000 },
      debug: metrics.observeCall,
    },
  );
  const handoff = createHandoff({
    crossmint,
    store,
    clock,
    // Crossmint's own limits: the budget metrics then have something to show.
    budgets: { writesPerMinute: 120, readsPerMinute: 360 },
    idleSweepMs: 50,
    ...handoffOptions,
  });
  followHandoffs(clock, handoff);
  metrics.attach({ handoff });
  return {
    clock,
    sandbox,
    store,
    handoff,
    metrics,
    async close() {
      metrics.close();
      await crossmint.close();
      await store.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A record for `userId`; `lastName` picks a sandbox outcome (Rejected, Pending, Incomplete). */
export function userRecord(
  userId: string,
  lastName = 'Smith',
  overrides: Partial<InputRecordInput> = {},
): InputRecord {
  const base = sampleRecord();
  return sampleRecord({ userId, userDetails: { ...base.userDetails!, lastName }, ...overrides });
}
