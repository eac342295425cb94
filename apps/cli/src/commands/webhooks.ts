import type { OutboxStats } from '@kyc-handoff/core';
import { Command, Option } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { action } from '../errors.js';
import { isoInstant } from '../filters.js';
import { openStoreOnly } from '../store-only.js';

function formatOutbox(label: string, s: OutboxStats): string {
  const rows: [string, string][] = [
    ['pending', String(s.pending)],
    ['failed (given up)', String(s.failed)],
    ['delivered', String(s.delivered)],
    ['oldest pending', s.oldestPendingAt === null ? '-' : new Date(s.oldestPendingAt).toISOString()],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  const hint =
    s.failed > 0
      ? '\nfailed events were retried for their whole window: once the receiver works, `kyc-handoff webhooks replay --since ISO`\n'
      : '';
  return `Webhook outbox of ${label}\n${lines.join('\n')}\n${hint}`;
}

function statusCommand(): Command {
  return withGlobalOptions(
    new Command('status')
      .description('counts of outbox events: pending, failed (given up), delivered; and the oldest pending')
      .option(
        '--json',
        'print { pending, failed, delivered, oldestPendingAt } (oldestPendingAt ISO 8601 or null)',
      ),
  )
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff webhooks status --json

Reads only the store (no Crossmint key). Exit status 0.`,
    )
    .action(
      action(async (flags: GlobalFlags & { json?: boolean }) => {
        const { handoff, label, close } = await openStoreOnly(flags);
        try {
          const stats = await handoff.outbox.stats();
          process.stdout.write(
            flags.json
              ? `${JSON.stringify({
                  ...stats,
                  oldestPendingAt:
                    stats.oldestPendingAt === null ? null : new Date(stats.oldestPendingAt).toISOString(),
                })}\n`
              : formatOutbox(label, stats),
          );
          return 0;
        } finally {
          await close();
        }
      }),
    );
}

function replayCommand(): Command {
  return withGlobalOptions(
    new Command('replay').description(
      'queue every outbox event created since a time for delivery again (same webhook-id), for a receiver that lost them',
    ),
  )
    .addOption(
      new Option('--since <iso>', 'events created at or after this ISO 8601 instant (2026-03-01T00:00:00Z)')
        .argParser(isoInstant)
        .makeOptionMandatory(),
    )
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff webhooks replay --since 2026-03-01T00:00:00Z
  $ kyc-handoff resume --webhook-url https://platform.example/hooks/kyc --webhook-secret-file whsec.txt

Only queues them: the next command run with --webhook-url (or a worker that has one) delivers them,
each with the webhook-id it had, so the receiver drops those it already has. Reads only the store.`,
    )
    .action(
      action(async (flags: GlobalFlags & { since: number }) => {
        const { handoff, label, close } = await openStoreOnly(flags);
        try {
          const queued = await handoff.outbox.replay(flags.since);
          process.stdout.write(
            `${queued} event${queued === 1 ? '' : 's'} since ${new Date(flags.since).toISOString()} queued again in ${label}; a run with --webhook-url delivers them\n`,
          );
          return 0;
        } finally {
          await close();
        }
      }),
    );
}

/** `kyc-handoff webhooks status|replay`: the outbox the webhooks are delivered from. */
export function webhooksCommand(): Command {
  return new Command('webhooks')
    .description('the outbox of events for the platform: delivery counts, and replay')
    .addCommand(statusCommand())
    .addCommand(replayCommand())
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff webhooks status
  $ kyc-handoff webhooks replay --since 2026-03-01T00:00:00Z

Events are delivered by the commands that run machines, given --webhook-url and --webhook-secret.`,
    );
}
