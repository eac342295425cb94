import type { OnboardingListing } from '@kyc-handoff/engine';
import { Command, Option } from 'commander';
import { describeStore, type GlobalFlags, parseStoreSpec, withGlobalOptions } from '../config.js';
import { action, EXIT, UserError } from '../errors.js';
import { kindList } from '../filters.js';
import { printTransitions, runToEnd } from '../follow.js';
import { startProgress } from '../progress.js';
import { openSession, pollPolicy, type RunFlags, withPollOption, withRunOptions } from '../session.js';
import { openStoreOnly } from '../store-only.js';
import { formatCounts } from '../summary.js';

interface RetryFlags extends GlobalFlags, RunFlags {
  pollMs?: number;
  state?: 'failed';
  errorKind?: string[];
  dryRun?: boolean;
}

/** What a failed onboarding is counted under: why it failed, else the kind of its last error. */
const kindOf = (l: OnboardingListing) => l.failureReason ?? l.errorKind ?? 'unknown';

/** Whether a failed onboarding is among the kinds asked for (every one when none are). */
const matches = (l: OnboardingListing, kinds: readonly string[] | undefined) =>
  kinds === undefined ||
  (l.errorKind !== null && kinds.includes(l.errorKind)) ||
  (l.failureReason !== null && kinds.includes(l.failureReason));

function byKindText(byKind: Map<string, number>): string {
  const rows = [...byKind.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, n]) => `  ${k.padEnd(width)}  ${n}\n`).join('');
}

/** `kyc-handoff retry USER_ID`: an operator sends one failed onboarding back once the cause is fixed. */
async function retryOne(userId: string, flags: RetryFlags, cmd: Command): Promise<number> {
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
}

/** `--dry-run`: the store alone (no Crossmint key): how many would be retried, by kind. */
async function countFailed(flags: RetryFlags): Promise<number> {
  const { handoff, label, close } = await openStoreOnly(flags);
  try {
    const byKind = new Map<string, number>();
    let total = 0;
    for await (const l of handoff.list({ states: ['failed'] })) {
      if (!matches(l, flags.errorKind)) continue;
      total++;
      byKind.set(kindOf(l), (byKind.get(kindOf(l)) ?? 0) + 1);
    }
    process.stdout.write(
      `${total} failed onboarding${total === 1 ? '' : 's'} in ${label} would be retried (dry run; nothing changed)\n${byKindText(byKind)}`,
    );
    return 0;
  } finally {
    await close();
  }
}

/** `kyc-handoff retry --state failed`: every failed onboarding of the kinds given, then run until idle. */
async function retryFailed(flags: RetryFlags, cmd: Command): Promise<number> {
  if (flags.dryRun) return countFailed(flags);
  const session = await openSession(flags, cmd, pollPolicy(flags));
  try {
    const byKind = new Map<string, number>();
    let retried = 0;
    let refused = 0;
    // Each retried onboarding leaves `failed`; the listing goes on by user id, so none is seen twice.
    for await (const l of session.handoff.list({ states: ['failed'] })) {
      if (!matches(l, flags.errorKind)) continue;
      const result = await session.handoff.retry(l.userId);
      if (!result.ok) {
        refused++;
        process.stderr.write(`${l.userId}: not retried: ${result.reason}\n`);
        continue;
      }
      retried++;
      byKind.set(kindOf(l), (byKind.get(kindOf(l)) ?? 0) + 1);
    }
    process.stdout.write(
      `retried ${retried} failed onboarding${retried === 1 ? '' : 's'}${refused > 0 ? ` (${refused} could not be: see above)` : ''}\n${byKindText(byKind)}`,
    );
    const progress = startProgress(session.handoff, { until: 'idle' });
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
}

export function retryCommand(): Command {
  const command = new Command('retry')
    .description(
      'send a failed onboarding (or, with --state failed, every one of the kinds given) back to the step that failed, then continue',
    )
    .argument('[userId]', 'the user whose onboarding failed')
    .addOption(
      new Option(
        '--state <state>',
        'retry every onboarding in this state (only failed can be retried)',
      ).choices(['failed']),
    )
    .addOption(
      new Option(
        '--error-kind <kinds>',
        'with --state failed: only those whose last error kind or failure reason is one of these, comma-separated (e.g. transient,invalid-data)',
      ).argParser(kindList),
    )
    .option('--dry-run', 'with --state failed: only count them, by kind (reads only the store)');
  withPollOption(withRunOptions(withGlobalOptions(command)));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff status u-42          # failed: not-enabled in triggering …
  $ kyc-handoff retry u-42 --env staging
  $ kyc-handoff retry --state failed --error-kind transient,not-enabled --dry-run
  $ kyc-handoff retry --state failed --error-kind transient --env staging

Exit status for one user as for onboard: 0 verified, 2 rejected, 3 requires data, 4 failed again,
1 fatal. With --state: 0 whatever the outcomes, 1 fatal, 130 interrupted.`,
    )
    .action(
      action(async (userId: string | undefined, flags: RetryFlags, cmd: Command) => {
        if (flags.state !== undefined) {
          if (userId !== undefined) throw new UserError('give either USER_ID or --state failed, not both');
          return retryFailed(flags, cmd);
        }
        if (flags.errorKind !== undefined || flags.dryRun) {
          throw new UserError('--error-kind and --dry-run go with --state failed');
        }
        if (userId === undefined) {
          throw new UserError('retry needs USER_ID (one user) or --state failed (every failed one)');
        }
        return retryOne(userId, flags, cmd);
      }),
    );
}
