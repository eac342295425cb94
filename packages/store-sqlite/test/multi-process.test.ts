import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/sqlite-store.js';

const here = dirname(fileURLToPath(import.meta.url));
// tsx comes with the workspace root's tooling; this package does not depend on it.
const tsx = resolve(here, '../../../node_modules/.bin/tsx');

/** A claim-worker process: `ready` once its store is open, `go()` starts it, `claimed` its ids. */
function claimWorker(path: string, owner: string, env: NodeJS.ProcessEnv) {
  const child = spawn(tsx, ['--conditions', 'source', join(here, 'claim-worker.ts'), path, owner], {
    cwd: here,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const failed = (what: string) => new Error(`${owner} ${what}: ${stderr.trim()}`);
  const ready = new Promise<void>((resolve, reject) => {
    lines.once('line', (line) => (line === 'ready' ? resolve() : reject(failed(`said ${line}`))));
    void exited.then(() => reject(failed('exited before it was ready')));
  });
  const claimed = new Promise<string[]>((resolve, reject) => {
    let last = '';
    lines.on('line', (line) => {
      last = line;
    });
    void exited.then((code) =>
      code === 0 ? resolve(JSON.parse(last) as string[]) : reject(failed(`exited with ${code}`)),
    );
  });
  // Awaited only once all are ready: a worker that failed earlier must not be an unhandled rejection.
  claimed.catch(() => undefined);
  return { ready, claimed, go: () => child.stdin.end('go\n'), kill: () => child.kill('SIGKILL') };
}

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

      const workers = ['p1', 'p2', 'p3'].map((owner) =>
        claimWorker(path, owner, { ...process.env, KYC_HANDOFF_ENCRYPTION_KEY: key }),
      );
      let perWorker: string[][];
      try {
        await Promise.all(workers.map((w) => w.ready));
        for (const w of workers) w.go();
        perWorker = await Promise.all(workers.map((w) => w.claimed));
      } finally {
        // One that failed leaves the others waiting for `go`: none outlives the test.
        for (const w of workers) w.kill();
      }
      const claimed = perWorker.flat();
      expect(claimed).toHaveLength(3000);
      expect(new Set(claimed).size).toBe(3000);
      expect(perWorker.filter((ids) => ids.length > 0).length).toBeGreaterThanOrEqual(2);

      const after = openSqliteStore({ path, keyring: parseKeyring(key) });
      expect(await after.countsByState()).toEqual({ verified: 3000 });
      expect(await after.nextWakeAt()).toBeNull();
      await after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
