import { Command } from 'commander';
import { describeStore, type GlobalFlags, parseStoreSpec, withGlobalOptions } from '../config.js';
import { type ConsoleFlags, startConsoleFor, withConsoleOption } from '../console-option.js';
import { action, EXIT } from '../errors.js';
import { withMetricsOptions } from '../metrics-option.js';
import { startProgress } from '../progress.js';
import { openSession, pollPolicy, type RunFlags, withPollOption, withRunOptions } from '../session.js';
import { formatCounts } from '../summary.js';

/** `kyc-handoff resume`: continue every onboarding of the store until none has anything to do. */
export function resumeCommand(): Command {
  const command = new Command('resume').description(
    'continue every unfinished onboarding in the store until each is verified, rejected, waiting for data or failed',
  );
  withConsoleOption(withMetricsOptions(withPollOption(withRunOptions(withGlobalOptions(command)))));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff resume --store sqlite:./kyc-handoff.db --env staging

Exit status: 0 when nothing is left to do, 1 on a fatal problem, 130 when interrupted.`,
    )
    .action(
      action(async (flags: GlobalFlags & RunFlags & ConsoleFlags & { pollMs?: number }, cmd: Command) => {
        const session = await startConsoleFor(await openSession(flags, cmd, pollPolicy(flags)), flags);
        try {
          const progress = startProgress(session.handoff, {
            until: 'idle',
          });
          let interrupted = false;
          try {
            ({ interrupted } = await session.run('idle'));
          } finally {
            await progress.stop();
          }
          process.stdout.write(`Onboardings in ${describeStore(parseStoreSpec(flags.store))}\n`);
          process.stdout.write(formatCounts((await session.handoff.stats()).states));
          return interrupted ? EXIT.interrupted : 0;
        } finally {
          await session.close();
        }
      }),
    );
}
