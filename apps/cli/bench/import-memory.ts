/**
 * Peak memory of `kyc-handoff import --no-wait` on a 100,000-line NDJSON file, against a sandbox in
 * its own process with rate limits off. Streaming input means the peak should not depend on the
 * file's length. Run: pnpm --filter @kyc-handoff/cli bench   (needs dist: pnpm turbo run build)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateKey } from '@kyc-handoff/core/crypto';

const LINES = Number(process.env.BENCH_LINES ?? 100_000);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run pnpm turbo run build first`);

const dir = mkdtempSync(join(tmpdir(), 'kyc-bench-'));
const file = join(dir, 'users.ndjson');
const out = createWriteStream(file);
for (let i = 0; i < LINES; i++) {
  const line = JSON.stringify({
    userId: `bench-${i}`,
    privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z',
    userDetails: {
      firstName: 'Alice',
      lastName: 'Smith',
      dateOfBirth: '1990-01-15',
      countryOfResidence: 'US',
    },
    kycData: {
      email: `bench-${i}@example.invalid`,
      addressOfResidence: {
        line1: '701 S Miami Ave',
        city: 'Miami',
        postalCode: '33156',
        stateOrRegion: 'FL',
      },
      identityDocument: {
        type: 'ssn',
        number: `900-${String(i % 100).padStart(2, '0')}-${String(i % 10_000).padStart(4, '0')}`,
        issuingCountryCode: 'US',
      },
    },
    verificationHistory: { idVerificationTimestamp: '2026-01-01T00:00:00.000Z' },
  });
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
console.log(`input: ${LINES} lines, ${(statSync(file).size / 1e6).toFixed(1)} MB`);

const sandbox = spawn(
  process.execPath,
  [MAIN, 'sandbox', '--port', '0', '--writes-per-min', '0', '--reads-per-min', '0'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const [first] = (await once(createInterface({ input: sandbox.stdout! }), 'line')) as [string];
const url = first.replace('listening on ', '');

const started = Date.now();
const args = [
  MAIN,
  'import',
  file,
  '--no-wait',
  '--json',
  '--writes-per-min',
  '0',
  '--reads-per-min',
  '0',
  '--concurrency',
  '64',
];
const cli = spawn(process.execPath, args, {
  env: {
    ...process.env,
    CROSSMINT_BASE_URL: `${url}/api`,
    CROSSMINT_API_KEY: 'sk_staging_bench_memory_01',
    KYC_HANDOFF_ENCRYPTION_KEY: generateKey(),
    KYC_HANDOFF_STORE: `sqlite:${join(dir, 'bench.db')}`,
  },
  stdio: ['ignore', 'pipe', 'ignore'],
});
let stdout = '';
cli.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
let peakKb = 0;
const sample = () => {
  try {
    const status = readFileSync(`/proc/${cli.pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peakKb = Math.max(peakKb, hwm);
  } catch {
    // The process has exited.
  }
};
const timer = setInterval(sample, 200);
const [code] = (await once(cli, 'exit')) as [number | null];
clearInterval(timer);
sandbox.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });

console.log(`import --no-wait exit ${String(code)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`summary: ${stdout.trim()}`);
console.log(`peak RSS (VmHWM) of the CLI process: ${(peakKb / 1024).toFixed(1)} MiB`);
