import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

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
