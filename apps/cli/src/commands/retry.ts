import { Command } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { action, UserError } from '../errors.js';
import { printTransitions, runToEnd } from '../follow.js';
import { openSession, pollPolicy, type RunFlags, withPollOption, withRunOptions } from '../session.js';

/** `kyc-handoff retry USER_ID`: an operator sends a failed onboarding back once the cause is fixed. */
export function retryCommand(): Command {
  const command = new Command('retry')
    .description('send a failed onboarding back to the step that failed, then continue it')
    .argument('<userId>', 'the user whose onboarding failed');
  withPollOption(withRunOptions(withGlobalOptions(command)));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff status u-42          # failed: not-enabled in triggering …
  $ kyc-handoff retry u-42 --env staging

Exit status as for onboard: 0 verified, 2 rejected, 3 requires data, 4 failed again, 1 fatal.`,
    )
    .action(
      action(async (userId: string, flags: GlobalFlags & RunFlags & { pollMs?: number }, cmd: Command) => {
        const session = await openSession(flags, cmd, pollPolicy(flags));
        try {
          printTransitions(session.handoff, userId);
          const retried = await session.handoff.retry(userId);
          if (!retried.ok) throw new UserError(retried.reason);
          process.stdout.write(`${userId}: retrying from ${retried.state}\n`);
          return await runToEnd(session, userId);
        } finally {
          await session.close();
        }
      }),
    );
}
