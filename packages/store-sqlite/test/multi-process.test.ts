import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/sqlite-store.js';

const here = dirname(fileURLToPath(import.meta.url));
// tsx comes with the workspace root's tooling; this package does not depend on it.
const tsx = resolve(here, '../../../node_modules/.bin/tsx');

describe.skipIf(!existsSync(tsx))('sqlite store shared by processes', () => {
  it('three processes claiming and committing at once each get disjoint onboardings, all of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-handoff-multi-'));
    try {
      const path = join(dir, 'store.db');
      const key = generateKey();
      const store = openSqliteStore({ path, keyring: parseKeyring(key) });
      const items = Array.from({ length: 3000 }, (_, i) =>
        sampleOnboarding(sampleRecord({ userId: `u${i}` }), { wakeAt: i % 500 }),
      );
      await store.submit(items, { now: 0 });
      await store.close();

      const run = promisify(execFile);
      const startAt = String(Date.now() + 4_000);
      const outputs = await Promise.all(
        ['p1', 'p2', 'p3'].map((owner) =>
          run(tsx, ['--conditions', 'source', join(here, 'claim-worker.ts'), path, owner, startAt], {
            cwd: here,
            env: { ...process.env, KYC_HANDOFF_ENCRYPTION_KEY: key },
          }),
        ),
      );
      const claimed = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
      expect(claimed).toHaveLength(3000);
      expect(new Set(claimed).size).toBe(3000);
      const busy = outputs.filter((o) => (JSON.parse(o.stdout) as string[]).length > 0);
      expect(busy.length).toBeGreaterThanOrEqual(2);

      const after = openSqliteStore({ path, keyring: parseKeyring(key) });
      expect(await after.countsByState()).toEqual({ verified: 3000 });
      expect(await after.nextWakeAt()).toBeNull();
      await after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
