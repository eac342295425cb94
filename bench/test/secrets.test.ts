// The full demo, then a scan of everything it wrote for the sample users' personal data and the key.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { demoUsers } from '@kyc-handoff/cli';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { CANARY, canaryRecord } from '@kyc-handoff/core/testing';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff } from '@kyc-handoff/engine';
import { createSandbox } from '@kyc-handoff/sandbox';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/lib/proc.js';
import { API_KEY } from '../src/lib/records.js';
import { ENCRYPTION_KEY, tempDir } from '../src/scenarios/common.js';

const tmp = tempDir('secrets');
afterAll(() => tmp.cleanup());
const USERS = 60;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('secrets', () => {
  it('the demo writes no SSN, email or identity number of its users, and never the API key, anywhere', async () => {
    const dir = join(tmp.dir, 'demo');
    mkdirSync(dir);
    const run = await runCli(['demo', '--users', String(USERS)], { cwd: dir, timeoutMs: 40_000 });
    expect(run.code, run.stderr).toBe(0);
    const secrets = demoUsers(USERS).flatMap((u) => u.secrets);
    expect(secrets.length).toBeGreaterThan(USERS);
    const files = filesUnder(dir);
    expect(files.some((f) => f.endsWith('.db'))).toBe(true);
    // Every byte the demo left: stdout, stderr, the store (its plaintext columns, journal and WAL
    // included, as raw bytes), the report. The key file holds only the encryption key.
    const haystacks: [string, string][] = [
      ['stdout', run.stdout],
      ['stderr', run.stderr],
      ...files.map((f): [string, string] => [
        f,
        readFileSync(f).toString('latin1') + readFileSync(f, 'utf8'),
      ]),
    ];
    for (const [where, text] of haystacks) {
      for (const secret of secrets) expect(text.includes(secret), `${secret} found in ${where}`).toBe(false);
      expect(/sk_staging_demo_[0-9a-f]{12}/.test(text), `the API key found in ${where}`).toBe(false);
    }
  });

  it('quarantines and a refused key print and store nothing of the users either', async () => {
    const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, seed: 5 });
    const baseUrl = `${(await sandbox.listen({ port: 0, host: '127.0.0.1' })).url}/api`;
    const dir = join(tmp.dir, 'quarantine');
    mkdirSync(dir);
    const storePath = join(dir, 'store.db');
    const env = { CROSSMINT_API_KEY: API_KEY, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY };
    const common = ['--store', `sqlite:${storePath}`, '--base-url', baseUrl];
    const budgets = ['--writes-per-min', '0', '--reads-per-min', '0'];
    // Submitted, nothing sent yet; then a corrupt snapshot and a ciphertext with a changed byte.
    const store = openSqliteStore({ path: storePath, keyring: parseKeyring(ENCRYPTION_KEY) });
    const crossmint = createCrossmintClient({ baseUrl }, { apiKey: API_KEY });
    await createHandoff({ crossmint, store }).submit(['c-1', 'c-2', 'c-3'].map((id) => canaryRecord(id)));
    await crossmint.close();
    store.raw.prepare(`UPDATE onboardings SET snapshot = substr(snapshot, 3) WHERE user_id = 'c-1'`).run();
    store.raw
      .prepare(
        // Always another character: writing the one already there would damage nothing.
        `UPDATE records SET ciphertext = substr(ciphertext, 1, 40)
           || CASE WHEN substr(ciphertext, 41, 1) = 'x' THEN 'y' ELSE 'x' END
           || substr(ciphertext, 42) WHERE user_id = 'c-2'`,
      )
      .run();
    const runs = [];
    await store.close();
    runs.push(await runCli(['resume', ...common, ...budgets, '--debug'], { env, timeoutMs: 30_000 }));
    runs.push(
      await runCli(['resume', ...common, ...budgets], {
        env: { ...env, KYC_HANDOFF_ENCRYPTION_KEY: generateKey() },
        timeoutMs: 30_000,
      }),
    );
    for (const id of ['c-1', 'c-2', 'c-3'])
      runs.push(await runCli(['status', id, ...common], { env, timeoutMs: 30_000 }));
    await sandbox.close();

    expect(runs[0]?.stderr).toMatch(/quarantined to failed \(unreadable-row\)/);
    expect(runs[0]?.stderr).toMatch(/quarantined to failed \(record-unreadable\)/);
    expect(runs[1]?.code).toBe(1);
    const haystacks: [string, string][] = [
      ...runs.map((r, i): [string, string] => [`run ${i}`, r.stdout + r.stderr]),
      ...filesUnder(dir)
        .filter((f) => f.startsWith(storePath))
        .map((f): [string, string] => [f, readFileSync(f).toString('latin1')]),
    ];
    for (const [where, text] of haystacks) {
      for (const secret of [CANARY.ssn, CANARY.ssn.replaceAll('-', ''), CANARY.email]) {
        expect(text.includes(secret), `${secret} found in ${where}`).toBe(false);
      }
      expect(text.includes(API_KEY), `the API key found in ${where}`).toBe(false);
    }
  });
});
