import { Command } from 'commander';
import { describeStore, type GlobalFlags, parseStoreSpec, withGlobalOptions } from '../config.js';
import { type ConsoleFlags, startConsoleFor, withConsoleOption } from '../console-option.js';
import { action } from '../errors.js';
import { withMetricsOptions } from '../metrics-option.js';
import { startProgress } from '../progress.js';
import { openSession, pollPolicy, type RunFlags, withPollOption, withRunOptions } from '../session.js';
import { formatCounts } from '../summary.js';

/** `kyc-handoff worker`: drive onboardings until SIGINT/SIGTERM; run several on one PostgreSQL store. */
export function workerCommand(): Command {
  const command = new Command('worker').description(
    'run the engine until SIGINT/SIGTERM, picking up work others submit (several workers can share a PostgreSQL store)',
  );
  withConsoleOption(withMetricsOptions(withPollOption(withRunOptions(withGlobalOptions(command)))));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ export KYC_HANDOFF_STORE=postgres://kyc@db.internal/kyc CROSSMINT_API_KEY=sk_production_… KYC_HANDOFF_ENCRYPTION_KEY=…
  $ kyc-handoff worker --env production     # on each machine; the rate budget is shared through the store

Exit status: 0 after a graceful stop (SIGINT/SIGTERM), 1 on a fatal problem, 130 on a second signal.`,
    )
    .action(
      action(async (flags: GlobalFlags & RunFlags & ConsoleFlags & { pollMs?: number }, cmd: Command) => {
        const session = await startConsoleFor(await openSession(flags, cmd, pollPolicy(flags)), flags);
        const label = describeStore(parseStoreSpec(flags.store));
        try {
          process.stderr.write(
            `worker: driving onboardings in ${label}; Ctrl-C (SIGINT) or SIGTERM stops gracefully\n`,
          );
          const progress = startProgress(session.handoff, {
            until: 'stopped',
            plainEveryMs: 30_000,
          });
          try {
            await session.run('stopped');
          } finally {
            await progress.stop();
          }
          process.stdout.write(`worker stopped. Onboardings in ${label}\n`);
          process.stdout.write(formatCounts((await session.handoff.stats()).states));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}
