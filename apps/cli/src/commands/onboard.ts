import { Command } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { action, UserError } from '../errors.js';
import { printTransitions, readJsonFile, runToEnd } from '../follow.js';
import { describeRefusal } from '../report.js';
import { openSession, pollPolicy, type RunFlags, withPollOption, withRunOptions } from '../session.js';

interface OnboardFlags extends GlobalFlags, RunFlags {
  update?: boolean;
  precheck: boolean;
  pollMs?: number;
}

/** `kyc-handoff onboard FILE.json`: one user, every transition printed, exit status by outcome. */
export function onboardCommand(): Command {
  const command = new Command('onboard')
    .description('onboard one user from a JSON file and print each transition as it happens')
    .argument('<file>', 'one input record as JSON')
    .option('--update', 'replace the stored record if this user was onboarded before with other data')
    .option('--no-precheck', 'send the record even when the region check says it lacks something');
  withPollOption(withRunOptions(withGlobalOptions(command)));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff onboard alice.json --env staging
  policyPending.recordingPolicy → policyPending.submittingKyc (POLICY_RECORDED)
  …

Exit status: 0 verified, 2 rejected, 3 requires data (then: kyc-handoff supply), 4 failed
(then: kyc-handoff retry), 1 fatal error (bad file, key, store), 130 interrupted.`,
    )
    .action(
      action(async (file: string, flags: OnboardFlags, cmd: Command) => {
        const record = await readJsonFile(file);
        const session = await openSession(flags, cmd, {
          precheck: flags.precheck,
          ...pollPolicy(flags),
        });
        try {
          const [result] = await session.handoff.submit([record], { update: flags.update === true });
          if (result === undefined) throw new UserError(`${file}: nothing to submit`);
          if (result.status === 'invalid' || result.status === 'incomplete' || result.status === 'conflict') {
            const refused = describeRefusal(
              result.status === 'invalid'
                ? { line: 1, userId: result.userId, status: 'invalid', issues: result.issues }
                : result.status === 'incomplete'
                  ? {
                      line: 1,
                      userId: result.userId,
                      status: 'incomplete',
                      missingData: result.missingData,
                      missingDocuments: result.missingDocuments,
                      hint: 'complete the record, or send it anyway with --no-precheck',
                    }
                  : {
                      line: 1,
                      userId: result.userId,
                      status: 'conflict',
                      hint: 'this user was onboarded before with different data; add --update to replace it',
                    },
            );
            throw new UserError(`${file} ${refused.replace(/^line 1 /, '')}`);
          }
          const userId = result.userId as string;
          if (result.status === 'unchanged')
            process.stdout.write(`${userId}: already in the store; continuing it\n`);
          printTransitions(session.handoff, userId);
          return await runToEnd(session, userId);
        } finally {
          await session.close();
        }
      }),
    );
}
