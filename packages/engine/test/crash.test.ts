import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY, type Harness, locator, startHarness } from './__test-utils__/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = resolve(here, '../../../node_modules/.bin/tsx');
const USERS = 300;

/** A small seeded generator, so the kill moments are the same on every run. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function startChild(h: Harness): {
  child: ChildProcess;
  running: Promise<void>;
  exited: Promise<number | null>;
} {
  const child = spawn(
    tsx,
    [
      '--conditions',
      'source',
      join(here, '__test-utils__/import-child.ts'),
      h.dbPath,
      `${h.url}/api`,
      String(USERS),
    ],
    {
      cwd: here,
      env: { ...process.env, KYC_HANDOFF_ENCRYPTION_KEY: h.keyring },
      stdio: ['ignore', 'pipe', 'inherit'],
      // tsx runs the script in a grandchild: kill the whole process group, as kill -9 of a job would.
      detached: true,
    },
  );
  const running = new Promise<void>((resolveRunning) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('running')) resolveRunning();
    });
  });
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, running, exited };
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe.skipIf(!existsSync(tsx))('crash safety', () => {
  it('an import SIGKILLed at random moments and restarted loses nobody and never sends a second, different body', async () => {
    harness = await startHarness({ latencyMs: 15, verifyAfterPolls: 1 });
    // Close the harness's own store handle: the child processes own the file now.
    await harness.store.close();
    const random = mulberry32(20261126);
    const progress: number[] = [];
    for (let kill = 0; kill < 5; kill++) {
      const run = startChild(harness);
      await run.running;
      // Kill once the child has made a random number of further requests: always mid-run.
      const target = harness.sandbox.stats().total + 40 + Math.floor(random() * 160);
      let exited = false;
      void run.exited.then(() => {
        exited = true;
      });
      while (!exited && harness.sandbox.stats().total < target) await new Promise((r) => setTimeout(r, 2));
      expect(exited, 'the child finished before it could be killed: raise USERS or lower the step').toBe(
        false,
      );
      process.kill(-run.child.pid!, 'SIGKILL');
      await run.exited;
      progress.push(harness.sandbox.stats().total);
    }
    // Each kill must land while work is going on, or the test proves nothing.
    expect(progress[0]).toBeGreaterThan(0);
    expect(progress.at(-1)).toBeLessThan(USERS * 4);
    const last = startChild(harness);
    expect(await last.exited).toBe(0);

    const store = openSqliteStore({ path: harness.dbPath, keyring: parseKeyring(harness.keyring) });
    const counts = await store.countsByState();
    await store.close();
    expect((counts.verified ?? 0) + (counts.rejected ?? 0)).toBe(USERS);
    expect(counts.rejected).toBe(Math.ceil(USERS / 7));

    let repeated = 0;
    for (let i = 0; i < USERS; i++) {
      const user = harness.sandbox.user(API_KEY, locator(`crash-${i}`));
      expect(user, `crash-${i} reached the sandbox`).toBeDefined();
      for (const [endpoint, hashes] of Object.entries(user!.bodyHashes)) {
        expect(hashes.length, `crash-${i} ${endpoint}`).toBeLessThanOrEqual(1);
      }
      repeated += Object.values(user!.writes).reduce((a, b) => a + b, 0) - 3;
    }
    console.info(
      `crash test: 5 kills (requests seen after each: ${progress.join(', ')}), ` +
        `${repeated} repeated identical writes across ${USERS} users`,
    );
  }, 120_000);
});
