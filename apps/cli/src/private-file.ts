import {
  closeSync,
  constants,
  fchmodSync,
  ftruncateSync,
  lstatSync,
  openSync,
  type Stats,
  statSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors.js';

/** What a private output file is called in messages: `the report` given by `--report`, … */
export interface OutputName {
  /** `the report`, `the export`. */
  what: string;
  /** The flag that names it: `--report`, `--out`. */
  flag: string;
}

export const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'unknown error';

/** One line saying why `path` cannot be written and what to do, for an errno code. */
export function cannotWrite(path: string, code: string, name: OutputName): UserError {
  const { flag } = name;
  const why: Record<string, string> = {
    ENOENT: `the directory ${dirname(path)} does not exist; create it or give ${flag} another path`,
    ENOTDIR: `a part of ${dirname(path)} is not a directory; give ${flag} another path`,
    EACCES: `permission denied; give ${flag} a path you may write to`,
    EPERM: `permission denied (the file belongs to someone else?); give ${flag} a path you may write to`,
    EROFS: `the file system is read-only; give ${flag} another path`,
    EISDIR: `it is a directory; give ${flag} a file path`,
    ELOOP: `it is a symbolic link, and ${name.what} is never written through one; remove it or give ${flag} another path`,
    ENOSPC: `the disk is full; free some space or give ${flag} another path`,
  };
  return new UserError(
    `cannot write ${name.what} ${path}: ${why[code] ?? `${code}; give ${flag} another path`}`,
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
 * Opens a file that names users (a report, an export) for writing, refusing what would write
 * somewhere unexpected: a symbolic link (checked first for a clear message, and by O_NOFOLLOW
 * against one appearing meanwhile), a directory or device, or the input itself. The file is left
 * mode 0600 and empty; its mode is set before it is truncated, so a file that cannot be ours is not
 * emptied. Returns the file descriptor.
 */
export function openPrivateFile(path: string, name: OutputName, input?: string): number {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw cannotWrite(path, codeOf(error), name);
  }
  if (existing?.isSymbolicLink()) throw cannotWrite(path, 'ELOOP', name);
  if (existing?.isDirectory()) throw cannotWrite(path, 'EISDIR', name);
  if (existing && !existing.isFile()) {
    throw new UserError(
      `cannot write ${name.what} ${path}: it is not a regular file; give ${name.flag} a file path`,
    );
  }
  if (existing && input !== undefined && sameFile(existing, input)) {
    throw new UserError(
      `cannot write ${name.what} ${path}: it is the input file; give ${name.flag} another path`,
    );
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    throw cannotWrite(path, codeOf(error), name);
  }
  try {
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
  } catch (error) {
    closeSync(fd);
    throw cannotWrite(path, codeOf(error), name);
  }
  return fd;
}
