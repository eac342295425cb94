import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey } from '@kyc-handoff/core/crypto';
import { createSandbox, type Sandbox, type SandboxOptions } from '@kyc-handoff/sandbox';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
export const API_KEY = 'sk_staging_cli_tests_0001';

/** CI builds before testing; a missing dist is a setup error, not a CLI bug. */
export function requireBuild(): void {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`pnpm turbo run build --filter @kyc-handoff/cli...\` first`);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

/** Runs `node dist/main.js …` as a user would (stdin, stdout and stderr are pipes: not a TTY). */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export interface World {
  sandbox: Sandbox;
  url: string;
  dir: string;
  key: string;
  /** Environment for the CLI: the sandbox, a test key, a fresh SQLite store in `dir`. */
  env: Record<string, string>;
  /** Flags that make runs quick: no budgets, short polls. */
  fast: string[];
  /** Budgets off only (for commands that continue onboardings: their poll policy was set at submit). */
  unlimited: string[];
  close(): Promise<void>;
}

export async function startWorld(options: SandboxOptions = {}): Promise<World> {
  requireBuild();
  const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, seed: 1, ...options });
  const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'kyc-cli-'));
  const key = generateKey();
  return {
    sandbox,
    url,
    dir,
    key,
    env: {
      CROSSMINT_BASE_URL: `${url}/api`,
      CROSSMINT_API_KEY: API_KEY,
      KYC_HANDOFF_ENCRYPTION_KEY: key,
      KYC_HANDOFF_STORE: `sqlite:${join(dir, 'store.db')}`,
    },
    fast: ['--writes-per-min', '0', '--reads-per-min', '0', '--poll-ms', '50'],
    unlimited: ['--writes-per-min', '0', '--reads-per-min', '0'],
    async close() {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid US record; `lastName` picks a sandbox outcome (Rejected, Pending, Incomplete). */
export function usRecord(userId: string, lastName = 'Smith', n = 0): Record<string, unknown> {
  const serial = String(1000 + n).slice(-4);
  return {
    userId,
    privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z',
    userDetails: { firstName: 'Alice', lastName, dateOfBirth: '1990-01-15', countryOfResidence: 'US' },
    kycData: {
      email: `canary.${userId}@example.invalid`,
      nationality: 'US',
      addressOfResidence: {
        line1: '701 S Miami Ave',
        city: 'Miami',
        postalCode: '33156',
        stateOrRegion: 'FL',
      },
      identityDocument: { type: 'ssn', number: `987-65-${serial}`, issuingCountryCode: 'US' },
    },
    verificationHistory: {
      idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
      livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
    },
  };
}

export const ndjson = (records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** Escape sequences a terminal would interpret. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the check
export const CONTROL = /\x1b\[|\r/;
