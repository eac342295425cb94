import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createSandbox } from '@kyc-handoff/sandbox';
import { loadOrCreateDemoKeyring } from '@kyc-handoff/store-sqlite';
import { Command, InvalidArgumentError } from 'commander';
import { clientFactory, type GlobalFlags, openStore, parseStoreSpec, withGlobalOptions } from '../config.js';
import { demoUsers } from '../demo-users.js';
import { action, EXIT, UserError } from '../errors.js';
import type { SourceItem } from '../input/source.js';
import { importAndRun } from '../pipeline.js';
import { Reporter } from '../report.js';
import { type RunFlags, startSession, withRunOptions } from '../session.js';
import { webhookTarget } from '../webhooks.js';

const DEFAULT_DEMO_STORE = 'sqlite:./kyc-handoff-demo.db';
/** Users with the magic last name Pending stay pending-review this long, then the demo releases them. */
const PENDING_HOLD_MS = 2_000;

interface DemoFlags extends GlobalFlags, RunFlags {
  users: number;
}

function userCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError('must be a whole number from 1 to 100000');
  return n;
}

async function* asSource(records: readonly Record<string, unknown>[]): AsyncGenerator<SourceItem> {
  for (const [i, value] of records.entries()) yield { line: i + 1, value };
}

/** `kyc-handoff demo`: the main job end to end on the embedded default, no account needed. */
export function demoCommand(): Command {
  const command = new Command('demo')
    .description('import a few hundred sample users into a local SQLite file against an in-process sandbox')
    .option('--users <n>', 'how many sample users', userCount, 300);
  withRunOptions(withGlobalOptions(command));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff demo --users 300
  $ kyc-handoff status --store sqlite:./kyc-handoff-demo.db

The store is ${DEFAULT_DEMO_STORE} unless --store sqlite:PATH is given on the command line; it is
recreated on each run. The sandbox answers on a free loopback port with rate limits raised to
6000 writes / 18000 reads a minute. Users named Pending are released to verified after ${PENDING_HOLD_MS / 1000} s.`,
    )
    .action(
      action(async (flags: DemoFlags, cmd: Command) => {
        // KYC_HANDOFF_STORE may name a real store: the demo only uses a store given here explicitly.
        const webhook = webhookTarget(flags, cmd);
        const spec = parseStoreSpec(
          cmd.getOptionValueSource('store') === 'cli' ? flags.store : DEFAULT_DEMO_STORE,
        );
        if (spec.kind !== 'sqlite') throw new UserError('the demo runs on SQLite: use --store sqlite:PATH');
        const path = spec.path;
        if (existsSync(path) && !existsSync(`${path}.key`)) {
          throw new UserError(
            `${path} exists and was not made by the demo; choose another --store sqlite:PATH`,
          );
        }
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
        const { keyring, keyFile } = loadOrCreateDemoKeyring(path);
        process.stderr.write(
          `demo mode: records are encrypted with a generated key kept in ${keyFile} (mode 0600); real imports set KYC_HANDOFF_ENCRYPTION_KEY instead\n`,
        );

        const sandbox = createSandbox({
          writesPerMin: 6_000,
          readsPerMin: 18_000,
          verifyAfterPolls: 1,
          seed: 7,
        });
        const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
        const apiKey = `sk_staging_demo_${randomBytes(6).toString('hex')}`;
        process.stderr.write(`sandbox: Crossmint users API on ${url}/api (6000 writes/min)\n`);
        const crossmint = clientFactory(flags.httpThread)({ baseUrl: `${url}/api` }, { apiKey });
        const store = await openStore({ ...flags, store: `sqlite:${path}` }, keyring);
        const runFlags: RunFlags = {
          ...flags,
          writesPerMin: cmd.getOptionValueSource('writesPerMin') === 'cli' ? flags.writesPerMin : 6_000,
          readsPerMin: cmd.getOptionValueSource('readsPerMin') === 'cli' ? flags.readsPerMin : 18_000,
          concurrency: cmd.getOptionValueSource('concurrency') === 'cli' ? flags.concurrency : 32,
        };
        const session = await startSession({
          crossmint,
          store,
          flags: runFlags,
          policy: { pollInitialMs: 200, pollMaxMs: 1_000, baseDelayMs: 200, maxDelayMs: 2_000 },
          idleSweepMs: 200,
          webhook,
        });

        const users = demoUsers(flags.users);
        const pending = users
          .filter((u) => u.kind === 'pending')
          .map((u) => `userId:${u.record.userId as string}`);
        let release: NodeJS.Timeout | undefined;
        const startReleasing = () => {
          const started = Date.now();
          release = setInterval(() => {
            if (Date.now() - started < PENDING_HOLD_MS) return;
            for (let i = pending.length - 1; i >= 0; i--) {
              const locator = pending[i] as string;
              if (sandbox.forceStatus(apiKey, locator, 'verified')) pending.splice(i, 1);
            }
            if (pending.length === 0 && release) clearInterval(release);
          }, 200);
        };
        const reportPath = `${path.replace(/\.db$/, '')}.report.ndjson`;
        try {
          process.stderr.write(`demo: importing ${users.length} sample users into sqlite:${path}\n`);
          const result = await importAndRun({
            session,
            source: asSource(users.map((u) => u.record)),
            reporter: new Reporter(reportPath),
            update: false,
            until: 'idle',
            storeLabel: `sqlite:${path}`,
            onSubmitted: startReleasing,
          });
          process.stdout.write(result.text);
          process.stdout.write(
            [
              '',
              'Where to look next:',
              `  kyc-handoff status --store sqlite:${path}               counts by state`,
              `  kyc-handoff status demo-00002 --store sqlite:${path}    one user's state, eligibility and journal`,
              `  kyc-handoff diagram                                     the onboarding machine (mermaid; --format svg)`,
              `  ${reportPath}   the refused sample records (line, field, reason)`,
              '',
            ].join('\n'),
          );
          return result.interrupted ? EXIT.interrupted : 0;
        } finally {
          if (release) clearInterval(release);
          await session.close();
          await sandbox.close();
        }
      }),
    );
}
