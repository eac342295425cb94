import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { FieldIssue } from '@kyc-handoff/core';
import { cannotWrite, codeOf, type OutputName, openPrivateFile } from './private-file.js';

/** One refused record: where it is and why, never a value from it. */
export interface RefusedRecord {
  line: number;
  userId?: string | undefined;
  /**
   * `refused` and `not-waiting` are `supply --file`'s: the engine refused the supplied data
   * (`reason`), or the user's onboarding is not waiting for data (`reason` says its state).
   */
  status: 'invalid' | 'incomplete' | 'conflict' | 'refused' | 'not-waiting';
  issues?: FieldIssue[];
  missingData?: string[];
  missingDocuments?: string[];
  hint?: string;
  /** Why, in words that never hold a value from the record. */
  reason?: string;
}

/** stderr shows this many refusals; the report file has them all. */
const STDERR_LIMIT = 20;

export function describeRefusal(r: RefusedRecord): string {
  const where = `line ${r.line}${r.userId !== undefined ? ` (user ${r.userId})` : ''}`;
  switch (r.status) {
    case 'invalid':
      return `${where}: invalid: ${(r.issues ?? []).map((i) => `${i.field} ${i.reason}`).join('; ')}`;
    case 'incomplete': {
      const parts = [
        (r.missingData ?? []).length > 0 ? `missing data ${r.missingData?.join(', ')}` : '',
        (r.missingDocuments ?? []).length > 0 ? `missing documents ${r.missingDocuments?.join(', ')}` : '',
      ].filter((p) => p !== '');
      return `${where}: incomplete for its region: ${parts.join('; ')} (${r.hint ?? 'complete the record'})`;
    }
    case 'conflict':
      return `${where}: conflict: ${r.hint ?? 'already imported with different data; re-run with --update to replace it'}`;
    case 'refused':
      return `${where}: refused: ${r.reason ?? 'see status'}`;
    case 'not-waiting':
      return `${where}: not waiting for data: ${r.reason ?? 'see status'}`;
  }
}

const REPORT: OutputName = { what: 'the report', flag: '--report' };

export interface ReporterOptions {
  /** The input file, which the report must not be (opening the report empties it). */
  input?: string;
}

/**
 * Refused records to stderr (the first few) and to an NDJSON report file (all of them). The file is
 * opened by the constructor, so a path that cannot be written is refused before any work.
 */
export class Reporter {
  readonly #out: WriteStream;
  #count = 0;
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;
  constructor(
    readonly path: string,
    options: ReporterOptions = {},
  ) {
    this.#out = createWriteStream(path, { fd: openPrivateFile(path, REPORT, options.input) });
    this.#out.on('error', (error) => {
      this.#failure ??= cannotWrite(path, codeOf(error), REPORT);
    });
  }

  get count(): number {
    return this.#count;
  }

  async add(refused: RefusedRecord): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.#count++;
    if (this.#count <= STDERR_LIMIT) process.stderr.write(`${describeRefusal(refused)}\n`);
    if (!this.#out.write(`${JSON.stringify(refused)}\n`)) {
      await once(this.#out, 'drain').catch((error: unknown) => {
        throw cannotWrite(this.path, codeOf(error), REPORT);
      });
    }
  }

  /** Ends the file (once; later calls wait for the same end) and says where the refusals are. */
  close(): Promise<void> {
    this.#closed ??= this.#end();
    return this.#closed;
  }

  async #end(): Promise<void> {
    if (this.#count > STDERR_LIMIT) {
      process.stderr.write(`… and ${this.#count - STDERR_LIMIT} more refused records: see ${this.path}\n`);
    } else if (this.#count > 0) {
      process.stderr.write(`refused records are listed in ${this.path}\n`);
    }
    await new Promise<void>((resolve, reject) =>
      this.#out.end((error?: Error | null) =>
        error ? reject(cannotWrite(this.path, codeOf(error), REPORT)) : resolve(),
      ),
    );
    if (this.#failure) throw this.#failure;
  }
}
