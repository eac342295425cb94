import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { describe, expect, it } from 'vitest';
import { createHandoff, type Logger, VirtualClock } from '../src/index.js';
import { followHandoffs } from '../src/testing.js';
import { API_KEY, userRecord } from './__test-utils__/harness.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('an unreachable base URL', () => {
  it('is said once at warn after 30 s of calls without an answer, naming the URL and the cause', async () => {
    const warnings: string[] = [];
    const none = () => {};
    const logger: Logger = { debug: none, info: none, warn: (m) => warnings.push(m), error: none };
    const dir = mkdtempSync(join(tmpdir(), 'kyc-unreachable-'));
    const baseUrl = `http://127.0.0.1:${await closedPort()}/api`;
    const crossmint = createCrossmintClient({ baseUrl }, { apiKey: API_KEY });
    const store = openSqliteStore({ path: join(dir, 's.db'), keyring: parseKeyring(generateKey()) });
    const clock = new VirtualClock();
    const handoff = createHandoff({
      crossmint,
      store,
      clock,
      logger,
      budgets: { writesPerMinute: 'unlimited' },
    });
    followHandoffs(clock, handoff);
    try {
      await handoff.submit(userRecord('far-away'));
      await handoff.run();
      // The machine gave up after its attempts (about a minute of backoff): the warning came once.
      expect((await handoff.status('far-away'))?.failure?.reason).toBe('transient');
      expect(warnings.filter((w) => w.startsWith('no answer from'))).toEqual([
        `no answer from ${baseUrl}: ECONNREFUSED; still retrying (check the base URL and the network)`,
      ]);
    } finally {
      await crossmint.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
