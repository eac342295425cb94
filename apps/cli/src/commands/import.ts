import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Command, Option } from 'commander';
import { describeStore, type GlobalFlags, parseStoreSpec, withGlobalOptions } from '../config.js';
import { type ConsoleFlags, startConsoleFor, withConsoleOption } from '../console-option.js';
import { action, EXIT, UserError } from '../errors.js';
import { csvRecords } from '../input/csv.js';
import { ndjsonRecords } from '../input/ndjson.js';
import { withMetricsOptions } from '../metrics-option.js';
import { importAndRun } from '../pipeline.js';
import { Reporter } from '../report.js';
import { openSession, pollPolicy, type RunFlags, withPollOption, withRunOptions } from '../session.js';

interface ImportFlags extends GlobalFlags, RunFlags, ConsoleFlags {
  format?: 'csv' | 'ndjson';
  report?: string;
  update?: boolean;
  json?: boolean;
  wait: boolean;
  precheck: boolean;
  pollMs?: number;
}

/** `kyc-handoff import FILE|-`: streams records into the store and drives them to their outcome. */
export function importCommand(): Command {
  const command = new Command('import')
    .description('import users from NDJSON or CSV (streamed) and follow each to verified/rejected')
    .argument('<file>', 'an .ndjson/.jsonl or .csv file, or - for stdin')
    .addOption(
      new Option('--format <format>', 'input format (default: from the extension; stdin: ndjson)').choices([
        'ndjson',
        'csv',
      ]),
    )
    .option('--report <file>', 'where refused records are listed (default: <file>.report.ndjson)')
    .option('--update', 'replace users imported before whose data changed (otherwise reported as conflicts)')
    .option('--no-wait', 'exit once every record is submitted and its verification triggered')
    .option('--no-precheck', 'send records even when the region check says they lack something')
    .option('--json', 'print the summary as JSON on stdout');
  withConsoleOption(withMetricsOptions(withPollOption(withRunOptions(withGlobalOptions(command)))));
  return command
    .addHelpText(
      'after',
      `
Example:
  $ CROSSMINT_API_KEY=sk_staging_… KYC_HANDOFF_ENCRYPTION_KEY=$(openssl rand -base64 32) \\
      kyc-handoff import users.ndjson --env staging
  $ kyc-handoff import users.csv --json --no-wait      # CSV header: userId,userDetails.firstName,…

Re-running the same import skips users already done and resumes the rest.
Exit status: 0 when the run completed (whatever the outcomes), 1 on a fatal problem, 130 when interrupted.`,
    )
    .action(
      action(async (file: string, flags: ImportFlags, cmd: Command) => {
        const format = flags.format ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson');
        if (file !== '-') {
          await access(file).catch(() => {
            throw new UserError(`cannot read ${file}: no such file or no permission`);
          });
        }
        // Before the store is opened or a record read: a report that cannot be written stops nothing midway.
        const reporter = new Reporter(
          flags.report ?? (file === '-' ? 'kyc-handoff-import.report.ndjson' : `${file}.report.ndjson`),
          file === '-' ? {} : { input: file },
        );
        const session = await openSession(flags, cmd, {
          precheck: flags.precheck,
          // Documents named by a file's records are found beside it, wherever the import runs from.
          ...(file !== '-' && { documentsDir: dirname(resolve(file)) }),
          ...pollPolicy(flags),
        })
          .then((opened) => startConsoleFor(opened, flags))
          .catch(async (error: unknown) => {
            await reporter.close();
            throw error;
          });
        try {
          const input: Readable = file === '-' ? process.stdin : createReadStream(file);
          const source = format === 'csv' ? csvRecords(input) : ndjsonRecords(input);
          const result = await importAndRun({
            session,
            source,
            reporter,
            update: flags.update === true,
            until: flags.wait ? 'idle' : 'triggered',
            storeLabel: describeStore(parseStoreSpec(flags.store)),
          }).catch((error: unknown) => {
            if (error instanceof UserError) throw error;
            throw new UserError(
              `import of ${file === '-' ? 'stdin' : file} stopped: ${(error as Error).message}`,
            );
          });
          if (flags.json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
          else process.stdout.write(result.text);
          if (result.interrupted) {
            process.stderr.write(
              'interrupted: run the same import again (or `kyc-handoff resume`) to continue\n',
            );
            return EXIT.interrupted;
          }
          if (!flags.wait && !flags.json) {
            process.stdout.write(
              'verifications triggered; `kyc-handoff resume` follows them to their outcome\n',
            );
          }
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}
