import { InvalidArgumentError } from 'commander';

/** A TCP port from the command line: digits only, 0 to 65535 (0 picks a free one, printed at start). */
export function portNumber(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n > 65_535) {
    throw new InvalidArgumentError('must be a port number from 0 to 65535 (0 picks a free one)');
  }
  return n;
}
