import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { describeStore, type GlobalFlags, parseStoreSpec, withGlobalOptions } from '../config.js';
import { action, EXIT, UserError } from '../errors.js';
import { printTransitions, readJsonFile, runToEnd } from '../follow.js';
import { csvRecords } from '../input/csv.js';
import { ndjsonRecords } from '../input/ndjson.js';
import { startProgress } from '../progress.js';
import { Reporter } from '../report.js';
import { openSession, type RunFlags, type Session, withRunOptions } from '../session.js';
import { formatCounts, tally } from '../summary.js';
import { supplyAll } from '../supplies.js';

interface SupplyFlags extends GlobalFlags, RunFlags {
  file?: string;
  format?: 'csv' | 'ndjson';
  report?: string;
  json?: boolean;
}

/** `kyc-handoff supply USER_ID FILE.json`: one user's missing data or documents, then continue. */
async function supplyOne(userId: string, file: string, flags: SupplyFlags, cmd: Command): Promise<number> {
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
}

/** `kyc-handoff supply --file supplies.ndjson`: one user's supplied data per line, then run until idle. */
async function supplyFile(file: string, flags: SupplyFlags, cmd: Command): Promise<number> {
  const format = flags.format ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson');
  await access(file).catch(() => {
    throw new UserError(`cannot read ${file}: no such file or no permission`);
  });
  // Before the store is opened: a report that cannot be written stops nothing midway.
  const reporter = new Reporter(flags.report ?? `${file}.report.ndjson`, { input: file });
  let session: Session;
  try {
    // Documents named by the file's lines are found beside it, as for import.
    session = await openSession(flags, cmd, { documentsDir: dirname(resolve(file)) });
  } catch (error) {
    await reporter.close();
    throw error;
  }
  const started = Date.now();
  try {
    const input = createReadStream(file);
    const source = format === 'csv' ? csvRecords(input) : ndjsonRecords(input);
    let lastNote = Date.now();
    let result: Awaited<ReturnType<typeof supplyAll>>;
    try {
      result = await supplyAll(session.handoff, session.store, source, reporter, (c) => {
        if (Date.now() - lastNote < 5_000) return;
        lastNote = Date.now();
        process.stderr.write(
          `supplying: ${c.lines} lines so far (${c.applied} applied, ${c.refused} refused)\n`,
        );
      });
    } finally {
      await reporter.close();
    }
    const { counts } = result;
    const supplyMs = Date.now() - started;
    process.stderr.write(
      `read ${counts.lines} lines: ${counts.applied} applied, ${counts.refused} refused, ${counts.notWaiting} not waiting for data\n`,
    );
    if (result.stopped) {
      throw new UserError(
        `supply of ${file} stopped: ${result.stopped.message.replace('re-run the import', 're-run the supply')}`,
      );
    }
    const progress = startProgress(session.handoff, { until: 'idle' });
    let interrupted = false;
    try {
      ({ interrupted } = await session.run('idle'));
    } finally {
      await progress.stop();
    }
    const states = (await session.handoff.stats()).states;
    const t = tally(states);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({
          ...counts,
          supplyMs,
          linesPerSecond: supplyMs > 0 ? Math.round((counts.lines / (supplyMs / 1000)) * 10) / 10 : 0,
          durationMs: Date.now() - started,
          verified: t.verified,
          rejected: t.rejected,
          requiresData: t.requiresData,
          failed: t.failed,
          pending: t.pending,
        })}\n`,
      );
    } else {
      process.stdout.write(
        `Supplied from ${file}: ${counts.lines} lines, ${counts.applied} applied, ${counts.refused} refused${counts.refused > 0 ? ` (see ${reporter.path})` : ''}, ${counts.notWaiting} not waiting for data\n`,
      );
      process.stdout.write(`Onboardings in ${describeStore(parseStoreSpec(flags.store))}\n`);
      process.stdout.write(formatCounts(states));
    }
    return interrupted ? EXIT.interrupted : 0;
  } finally {
    await session.close();
  }
}

/** `kyc-handoff supply`: the data or documents Crossmint asked for, for one user or a file of them. */
export function supplyCommand(): Command {
  const command = new Command('supply')
    .description(
      'give onboardings waiting in requiresData the missing data/documents (one user, or --file with one per line), then continue them',
    )
    .argument('[userId]', 'the user whose onboarding waits for data')
    .argument('[file]', 'JSON with the sections to replace and/or documents: [{ documentType, path | data }]')
    .option(
      '--file <supplies>',
      'NDJSON (or .csv with a dotted header) of { "userId", "documents"?, …sections }, one user per line',
    )
    .addOption(
      new Option('--format <format>', 'format of --file (default: from the extension)').choices([
        'ndjson',
        'csv',
      ]),
    )
    .option('--report <file>', 'where lines not applied are listed (default: <supplies>.report.ndjson)')
    .option('--json', 'with --file: print the summary as JSON on stdout');
  withRunOptions(withGlobalOptions(command));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ echo '{"documents":[{"documentType":"id-passport","path":"scans/u-42-passport.png"}]}' > more.json
  $ kyc-handoff supply u-42 more.json --env staging
  $ kyc-handoff supply --file supplies.ndjson --env staging   # {"userId":"u-42","documents":[…]} per line

With --file, documents are read from the file's folder unless --documents-dir says otherwise; each
line not applied is listed on stderr and in the report (line, user, reason; never a value).
Exit status for one user as for onboard: 0 verified, 2 rejected, 3 still requires data, 4 failed,
1 fatal. With --file: 0 whatever the outcomes, 1 fatal, 130 interrupted.`,
    )
    .action(
      action(
        async (userId: string | undefined, file: string | undefined, flags: SupplyFlags, cmd: Command) => {
          if (flags.file !== undefined) {
            if (userId !== undefined) {
              throw new UserError('give either USER_ID FILE.json or --file SUPPLIES, not both');
            }
            return supplyFile(flags.file, flags, cmd);
          }
          if (userId === undefined || file === undefined) {
            throw new UserError(
              'supply needs USER_ID FILE.json (one user) or --file SUPPLIES.ndjson (one user per line)',
            );
          }
          return supplyOne(userId, file, flags, cmd);
        },
      ),
    );
}
