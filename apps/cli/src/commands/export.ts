import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Outcome, TopLevelState } from '@kyc-handoff/core';
import type { ListFilter, OnboardingListing } from '@kyc-handoff/engine';
import { Command, Option } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { action, UserError } from '../errors.js';
import { csvHeader, csvLine, ndjsonLine } from '../export-rows.js';
import { isoInstant, stateList } from '../filters.js';
import { cannotWrite, codeOf, type OutputName, openPrivateFile } from '../private-file.js';
import { openStoreOnly } from '../store-only.js';

interface ExportFlags extends GlobalFlags {
  state?: TopLevelState[];
  outcome?: Outcome;
  changedSince?: number;
  format: 'ndjson' | 'csv';
  out?: string;
}

const EXPORT: OutputName = { what: 'the export', flag: '--out' };

/** Lines are gathered into chunks of about this many characters before each write. */
const CHUNK_CHARS = 64 * 1024;

/** Stdout closed by its reader (`| head`): the reader has what it wanted, so stop quietly. */
class ReaderGone extends Error {}

/**
 * Writes lines to `out` with backpressure: each chunk waits for the previous one to drain, so
 * memory stays flat whatever the number of rows.
 */
class ChunkWriter {
  #buffer = '';
  #failure: Error | undefined;
  constructor(
    readonly out: Writable,
    failureOf: (error: NodeJS.ErrnoException) => Error,
  ) {
    out.on('error', (error: NodeJS.ErrnoException) => {
      this.#failure ??= failureOf(error);
    });
  }

  async add(text: string): Promise<void> {
    this.#buffer += text;
    if (this.#buffer.length >= CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#failure) throw this.#failure;
    const chunk = this.#buffer;
    this.#buffer = '';
    if (chunk === '' || this.out.write(chunk)) return;
    await Promise.race([once(this.out, 'drain'), once(this.out, 'close')]);
    if (this.#failure) throw this.#failure;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }
}

/** `kyc-handoff export`: one line per onboarding, from the store alone, streamed. */
export function exportCommand(): Command {
  return withGlobalOptions(
    new Command('export')
      .description(
        'write one line per onboarding (state, outcome, eligibility, what Crossmint asked for, attempts, errors, times) as NDJSON or CSV, streamed from the store',
      )
      .addOption(
        new Option(
          '--state <states>',
          'only these top-level states, comma-separated (e.g. failed,requiresData)',
        ).argParser(stateList),
      )
      .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['verified', 'rejected']))
      .addOption(
        new Option(
          '--changed-since <iso>',
          'only onboardings updated at or after this ISO 8601 instant (2026-03-01 or 2026-03-01T12:00:00Z)',
        ).argParser(isoInstant),
      )
      .addOption(
        new Option('--format <format>', 'ndjson or csv').choices(['ndjson', 'csv']).default('ndjson'),
      )
      .option(
        '--out <file>',
        'write to this file (created mode 0600, never through a symbolic link) instead of stdout',
      ),
  )
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff export --format csv --out onboardings.csv
  $ kyc-handoff export --state failed,requiresData --changed-since 2026-03-01 | jq -r .userId

Each line: userId, state, statePath, outcome, eligibility (by product), missingData,
missingDocuments, attempts, errorKind, failureReason, createdAt, updatedAt (ISO 8601). CSV has a
header, one eligibility.<product> column per Crossmint product, and lists joined with ";".
Reads only the store (no Crossmint key needed; the encryption key opens the store); never a
record, so nothing personal is written. Exit status 0; 1 on a bad option or a file that cannot be written.`,
    )
    .action(
      action(async (flags: ExportFlags) => {
        // Before the store is opened: an output that cannot be written stops nothing midway.
        const fd = flags.out === undefined ? undefined : openPrivateFile(flags.out, EXPORT);
        const out: Writable =
          fd === undefined ? process.stdout : createWriteStream(flags.out as string, { fd });
        const writer = new ChunkWriter(out, (error) =>
          flags.out === undefined
            ? error.code === 'EPIPE'
              ? new ReaderGone()
              : new UserError(`cannot write the export to stdout (${codeOf(error)})`)
            : cannotWrite(flags.out, codeOf(error), EXPORT),
        );
        let rows = 0;
        try {
          const { handoff, label, close } = await openStoreOnly(flags);
          try {
            const filter: ListFilter = {
              ...(flags.state !== undefined && { states: flags.state }),
              ...(flags.outcome !== undefined && { outcome: flags.outcome }),
              ...(flags.changedSince !== undefined && { changedSince: flags.changedSince }),
            };
            const line: (l: OnboardingListing) => string = flags.format === 'csv' ? csvLine : ndjsonLine;
            if (flags.format === 'csv') await writer.add(csvHeader());
            for await (const listing of handoff.list(filter)) {
              await writer.add(line(listing));
              rows++;
            }
            await writer.flush();
            process.stderr.write(
              `exported ${rows} onboarding${rows === 1 ? '' : 's'} from ${label}${flags.out === undefined ? '' : ` to ${flags.out}`}\n`,
            );
          } finally {
            await close();
          }
        } catch (error) {
          if (error instanceof ReaderGone || writer.failure instanceof ReaderGone) return 0;
          throw error;
        } finally {
          if (fd !== undefined) {
            await new Promise<void>((resolve, reject) =>
              out.end((error?: Error | null) =>
                error ? reject(cannotWrite(flags.out as string, codeOf(error), EXPORT)) : resolve(),
              ),
            );
          }
        }
        return 0;
      }),
    );
}
