// The full demo, then a scan of everything it wrote for the sample users' personal data and the key.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { demoUsers } from '@kyc-handoff/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/lib/proc.js';
import { tempDir } from '../src/scenarios/common.js';

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
    const run = await runCli(['demo', '--users', String(USERS)], { cwd: tmp.dir, timeoutMs: 40_000 });
    expect(run.code, run.stderr).toBe(0);
    const secrets = demoUsers(USERS).flatMap((u) => u.secrets);
    expect(secrets.length).toBeGreaterThan(USERS);
    const files = filesUnder(tmp.dir);
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
});
