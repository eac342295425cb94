import { Command } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { action, UserError } from '../errors.js';
import { printTransitions, readJsonFile, runToEnd } from '../follow.js';
import { openSession, type RunFlags, withRunOptions } from '../session.js';

/** `kyc-handoff supply USER_ID FILE.json`: the data or documents Crossmint asked for, then continue. */
export function supplyCommand(): Command {
  const command = new Command('supply')
    .description('give an onboarding waiting in requiresData the missing data/documents, then continue it')
    .argument('<userId>', 'the user whose onboarding waits for data')
    .argument(
      '<file>',
      'JSON with the sections to replace and/or documents: [{ documentType, path | data }]',
    );
  withRunOptions(withGlobalOptions(command));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ echo '{"documents":[{"documentType":"id-passport","path":"scans/u-42-passport.png"}]}' > more.json
  $ kyc-handoff supply u-42 more.json --env staging

Exit status as for onboard: 0 verified, 2 rejected, 3 still requires data, 4 failed, 1 fatal.`,
    )
    .action(
      action(async (userId: string, file: string, flags: GlobalFlags & RunFlags, cmd: Command) => {
        const data = await readJsonFile(file);
        const session = await openSession(flags, cmd);
        try {
          printTransitions(session.handoff, userId);
          const supplied = await session.handoff.supplyData(userId, data);
          if (!supplied.ok) throw new UserError(supplied.reason);
          process.stdout.write(`${userId}: data supplied; continuing\n`);
          return await runToEnd(session, userId);
        } finally {
          await session.close();
        }
      }),
    );
}
