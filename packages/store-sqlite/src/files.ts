import { closeSync, constants, openSync } from 'node:fs';

/**
 * Creates `path` empty with mode 0600 unless it exists: the store holds encrypted personal data and
 * its metadata, which no other local user needs to read. An existing file keeps its mode (its owner
 * chose it). `:memory:` and SQLite's other special names are left alone.
 */
export function createPrivateFile(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  let fd: number;
  try {
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  closeSync(fd);
}
