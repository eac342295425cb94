import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { requireBuild, runCli } from './__test-utils__/cli.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function firstLine(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${String(code)} before printing a line`)));
  });
}

describe('kyc-handoff sandbox', () => {
  it('prints its URL first, answers the users API and stops with exit 0 on SIGTERM', async () => {
    // CI builds before testing; a missing dist is a setup error, not a sandbox bug.
    if (!existsSync(MAIN)) {
      throw new Error(
        `${MAIN} is missing: run \`pnpm turbo run build\` (or pnpm --filter @kyc-handoff/cli... build) first`,
      );
    }
    const proc = spawn(process.execPath, [MAIN, 'sandbox', '--port', '0', '--writes-per-min', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = proc;
    const line = await firstLine(proc);
    expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = line.slice('listening on '.length);

    const res = await fetch(`${url}/api/2025-06-09/users/userId%3Acli-1/legal-documents`, {
      method: 'PUT',
      headers: { 'x-api-key': 'sk_staging_cli_test', 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00.000Z' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ acceptedAt: '2026-01-01T00:00:00.000Z' });

    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('kyc-handoff sandbox refuses a bad flag before it starts', () => {
  // The same bounds as the sandbox's admin API; before them, most of these started a sandbox.
  it.each([
    [
      '--latency-ms',
      '2147483648',
      'must be a number of ms from 0 to 2147483647 (the most a Node timer waits)',
    ],
    ['--hang-ms', '99999999999', 'must be a number of ms from 0 to 2147483647 (the most a Node timer waits)'],
    [
      '--verify-after-ms',
      '3155760000001',
      'must be null or a number of ms from 0 to 3155760000000 (100 years)',
    ],
    ['--writes-per-min', '1e3', 'must be a whole number >= 0'],
    ['--reads-per-min', ' ', 'must be a whole number >= 0'],
    ['--verify-after-polls', '0x10', 'must be a whole number >= 0'],
    ['--fault-rate', 'NaN', 'must be a number from 0 to 1'],
    ['--fault-rate', '', 'must be a number'],
    ['--port', '70000', 'must be a port number from 0 to 65535'],
    ['--seed', '1.5', 'must be a whole number >= 0'],
  ])('%s %j', async (flag, value, rule) => {
    requireBuild();
    const r = await runCli(['sandbox', '--port', '0', flag, value], { timeoutMs: 10_000 });
    expect(r.stdout).not.toContain('listening on');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`option '${flag} <`);
    expect(r.stderr).toContain(`is invalid. ${rule}`);
  });
});
