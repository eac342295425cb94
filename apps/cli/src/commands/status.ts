import type { OnboardingStatus } from '@kyc-handoff/engine';
import { DEFAULTS } from '@kyc-handoff/engine';
import { Command } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { action, UserError } from '../errors.js';
import { nonNegativeInt } from '../session.js';
import { openStoreOnly } from '../store-only.js';
import { formatBreakdown, formatCounts } from '../summary.js';

interface StatusFlags extends GlobalFlags {
  json?: boolean;
  journal: number;
  readsPerMin: number;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function formatStatus(s: OnboardingStatus): string {
  const eligibility =
    s.eligibility === null || s.eligibility.length === 0
      ? '-'
      : s.eligibility.map((e) => `${e.type}=${e.status}`).join(', ');
  const requested =
    s.requested === null
      ? '-'
      : [
          ...s.requested.missingData.map((d) => `data ${d}`),
          ...s.requested.missingDocuments.map((d) => `document ${d}`),
        ].join(', ');
  const rows: [string, string][] = [
    ['user', s.userId],
    ['state', s.statePath],
    ['outcome', s.outcome ?? '-'],
    ['eligibility', eligibility],
    ['requested', requested || '-'],
    ['attempts', String(s.attempts)],
    ['last error', s.lastError ?? '-'],
    [
      'failure',
      s.failure
        ? `${s.failure.reason}${s.failure.step === null ? '' : ` in ${s.failure.step}`}: ${s.failure.message}`
        : '-',
    ],
    ['next step at', iso(s.wakeAt)],
    ...(s.pollIntervalMs === null
      ? []
      : [
          [
            'poll interval',
            `${(s.pollIntervalMs / 1000).toFixed(1)} s (what --reads-per-min allows with this many under review)`,
          ] as [string, string],
        ]),
    ['created', iso(s.createdAt)],
    ['updated', iso(s.updatedAt)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  lines.push('', `journal (${s.journal.length} latest):`);
  for (const j of s.journal) {
    lines.push(
      `  ${iso(j.at)}  ${j.from} → ${j.to} (${j.event}${j.detail !== undefined ? ` ${j.detail}` : ''})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `kyc-handoff status [USER_ID]`: reads only the store; shows no personal data (there is none in it). */
export function statusCommand(): Command {
  return withGlobalOptions(
    new Command('status')
      .description(
        "counts of onboardings by state, or one user's state, eligibility, attempts, last error and journal",
      )
      .argument('[userId]', 'show this user only')
      .option('--json', 'print the counts or the status object as JSON')
      .option('--journal <n>', 'journal entries to show for one user', (v) => Number.parseInt(v, 10), 50)
      .option(
        '--reads-per-min <n>',
        "the read budget the runs use, from which a user's poll interval is computed (0 = unlimited)",
        nonNegativeInt,
        DEFAULTS.readsPerMinute,
      ),
  )
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff status --store sqlite:./kyc-handoff-demo.db
  $ kyc-handoff status demo-00002 --json

Without a user it also shows why users wait: onboardings by the kind of their last error and, of
those waiting for data, by what Crossmint asked for (--json: errorKinds and requestedItems next to
the counts). Needs no Crossmint key: it only reads the store. Exit status 1 when the user is unknown.`,
    )
    .action(
      action(async (userId: string | undefined, flags: StatusFlags) => {
        const readsPerMinute = flags.readsPerMin === 0 ? 'unlimited' : flags.readsPerMin;
        const { store, handoff, label, close } = await openStoreOnly(flags, readsPerMinute);
        try {
          if (userId === undefined) {
            const [counts, breakdown] = await Promise.all([store.countsByState(), handoff.breakdown()]);
            if (flags.json) process.stdout.write(`${JSON.stringify({ ...counts, ...breakdown })}\n`);
            else {
              process.stdout.write(`Onboardings in ${label}\n${formatCounts(counts)}`);
              process.stdout.write(formatBreakdown(breakdown));
            }
            return 0;
          }
          // The engine builds the status view; it never calls Crossmint for it.
          const status = await handoff.status(userId, { journalLimit: flags.journal });
          if (status === undefined) throw new UserError(`no onboarding for user ${userId} in ${label}`);
          process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
          return 0;
        } finally {
          await close();
        }
      }),
    );
}
