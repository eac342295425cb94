import {
  configRuleBroken,
  createSandbox,
  DEFAULT_CONFIG,
  FAULT_KINDS,
  type FaultKind,
  type SandboxConfig,
} from '@kyc-handoff/sandbox';
import { Command, InvalidArgumentError, Option } from 'commander';
import { portNumber } from '../port.js';

interface SandboxFlags {
  port: number;
  host: string;
  verifyAfterPolls: number;
  verifyAfterMs?: number;
  writesPerMin: number;
  readsPerMin: number;
  faultRate: number;
  faults: FaultKind[];
  latencyMs: number;
  hangMs: number;
  seed?: number;
  kycDisabled?: boolean;
  strict?: boolean;
}

/** Decimal digits only: Number() alone would take '', ' ', '0x10' and '1e3'. */
function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('must be a whole number >= 0');
  }
  return n;
}

function decimal(value: string): number {
  if (value.trim() === '') throw new InvalidArgumentError('must be a number');
  return Number(value);
}

/** The flag for a sandbox setting, held to the sandbox's own rule so the flag and the admin API agree. */
function setting(field: keyof SandboxConfig, parse: (value: string) => number) {
  return (value: string): number => {
    const n = parse(value);
    const broken = configRuleBroken(field, n);
    if (broken !== undefined) throw new InvalidArgumentError(broken);
    return n;
  };
}

function faultList(value: string): FaultKind[] {
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new InvalidArgumentError(
        `unknown fault kind; use a comma-separated list of ${FAULT_KINDS.join(', ')}`,
      );
    }
  }
  return kinds as FaultKind[];
}

/** `kyc-handoff sandbox`: the local Crossmint users API, until SIGINT/SIGTERM. */
export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('run a local Crossmint-compatible users API (outcomes and faults can be forced)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', portNumber, 4010)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--verify-after-polls <n>',
      'identity-verification reads until pending-review turns verified',
      setting('verifyAfterPolls', wholeNumber),
      DEFAULT_CONFIG.verifyAfterPolls,
    )
    .option(
      '--verify-after-ms <n>',
      'verify this many sandbox-clock ms after the trigger instead of counting reads (at most 100 years)',
      setting('verifyAfterMs', wholeNumber),
    )
    .option(
      '--writes-per-min <n>',
      'writes per API key per sliding minute (0 = unlimited)',
      setting('writesPerMin', wholeNumber),
      DEFAULT_CONFIG.writesPerMin,
    )
    .option(
      '--reads-per-min <n>',
      'reads per API key per sliding minute (0 = unlimited)',
      setting('readsPerMin', wholeNumber),
      DEFAULT_CONFIG.readsPerMin,
    )
    .option(
      '--fault-rate <p>',
      'probability (0..1) that a request gets a fault',
      setting('faultRate', decimal),
      DEFAULT_CONFIG.faultRate,
    )
    .addOption(
      new Option('--faults <list>', `fault kinds to draw from, comma-separated (${FAULT_KINDS.join(', ')})`)
        .argParser(faultList)
        .default([...FAULT_KINDS], 'all'),
    )
    .option(
      '--latency-ms <n>',
      'delay added before every answer (at most 2147483647)',
      setting('latencyMs', wholeNumber),
      DEFAULT_CONFIG.latencyMs,
    )
    .option(
      '--hang-ms <n>',
      'how long a hang fault holds a request (at most 2147483647)',
      setting('hangMs', wholeNumber),
      DEFAULT_CONFIG.hangMs,
    )
    .option('--seed <n>', 'make faults and ids repeatable', wholeNumber)
    .option('--kyc-disabled', 'answer 403 "project not configured to support the users KYC endpoints"')
    .option('--strict', 'refuse acceptedAt without a trailing Z')
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff sandbox --port 4010 --writes-per-min 0 --reads-per-min 0 --fault-rate 0.05 --seed 7
  listening on http://127.0.0.1:4010
  Point a client at http://127.0.0.1:4010/api with any sk_staging_… key (8+ characters after sk_).
  Operator API: http://127.0.0.1:4010/__sandbox/stats, /__sandbox/users/{locator}?apiKey=…`,
    )
    .action(async (flags: SandboxFlags) => {
      const sandbox = createSandbox({
        verifyAfterPolls: flags.verifyAfterPolls,
        verifyAfterMs: flags.verifyAfterMs,
        writesPerMin: flags.writesPerMin,
        readsPerMin: flags.readsPerMin,
        faultRate: flags.faultRate,
        faults: flags.faults,
        latencyMs: flags.latencyMs,
        hangMs: flags.hangMs,
        seed: flags.seed,
        kycDisabled: flags.kycDisabled === true,
        strict: flags.strict === true,
      });
      const { url } = await sandbox.listen({ port: flags.port, host: flags.host });
      // Scripts and tests wait for exactly this first line, so nothing is printed before it.
      process.stdout.write(`listening on ${url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await sandbox.close();
    });
}
