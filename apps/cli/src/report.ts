import { once } from 'node:events';
import {
  closeSync,
  constants,
  createWriteStream,
  fchmodSync,
  ftruncateSync,
  lstatSync,
  openSync,
  type Stats,
  statSync,
  type WriteStream,
} from 'node:fs';
import { dirname } from 'node:path';
import type { FieldIssue } from '@kyc-handoff/core';
import { UserError } from './errors.js';

/** One refused record: where it is and why, never a value from it. */
export interface RefusedRecord {
  line: number;
  userId?: string | undefined;
  status: 'invalid' | 'incomplete' | 'conflict';
  issues?: FieldIssue[];
  missingData?: string[];
  missingDocuments?: string[];
  hint?: string;
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
  }
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'unknown error';

function cannotWrite(path: string, code: string): UserError {
  const why: Record<string, string> = {
    ENOENT: `the directory ${dirname(path)} does not exist; create it or give --report another path`,
    ENOTDIR: `a part of ${dirname(path)} is not a directory; give --report another path`,
    EACCES: 'permission denied; give --report a path you may write to',
    EPERM: 'permission denied (the file belongs to someone else?); give --report a path you may write to',
    EROFS: 'the file system is read-only; give --report another path',
    EISDIR: 'it is a directory; give --report a file path',
    ELOOP:
      'it is a symbolic link, and the report is never written through one; remove it or give --report another path',
  };
  return new UserError(
    `cannot write the report ${path}: ${why[code] ?? `${code}; give --report another path`}`,
  );
}

function sameFile(a: Stats, path: string): boolean {
  try {
    const b = statSync(path);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/**
 * Opens the report for writing, refusing what would write somewhere unexpected: a symbolic link
 * (checked first for a clear message, and by O_NOFOLLOW against one appearing meanwhile), a
 * directory or device, or the input itself. The file is left mode 0600 (refusals name users) and
 * empty; its mode is set before it is truncated, so a file that cannot be ours is not emptied.
 */
function openReport(path: string, input: string | undefined): number {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw cannotWrite(path, codeOf(error));
  }
  if (existing?.isSymbolicLink()) throw cannotWrite(path, 'ELOOP');
  if (existing?.isDirectory()) throw cannotWrite(path, 'EISDIR');
  if (existing && !existing.isFile()) {
    throw new UserError(
      `cannot write the report ${path}: it is not a regular file; give --report a file path`,
    );
  }
  if (existing && input !== undefined && sameFile(existing, input)) {
    throw new UserError(`cannot write the report ${path}: it is the input file; give --report another path`);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    throw cannotWrite(path, codeOf(error));
  }
  try {
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
  } catch (error) {
    closeSync(fd);
    throw cannotWrite(path, codeOf(error));
  }
  return fd;
}

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
    this.#out = createWriteStream(path, { fd: openReport(path, options.input) });
    this.#out.on('error', (error) => {
      this.#failure ??= cannotWrite(path, codeOf(error));
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
        throw cannotWrite(this.path, codeOf(error));
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
        error ? reject(cannotWrite(this.path, codeOf(error))) : resolve(),
      ),
    );
    if (this.#failure) throw this.#failure;
  }
}
