import { ClientConfigError } from '@kyc-handoff/crossmint-http';

/**
 * A problem the user can act on: printed as one line (what, which record or field, what to do),
 * never with a stack trace unless --debug. `exitCode` is the process exit status.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit statuses of the commands that follow onboardings to an outcome (documented in the README). */
export const EXIT = {
  verified: 0,
  fatal: 1,
  rejected: 2,
  requiresData: 3,
  failed: 4,
  interrupted: 130,
} as const;

/** The one line a failure prints; with `debug` the stack follows it. */
export function describeError(error: unknown, debug: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const line =
    error instanceof ClientConfigError
      ? `${message} (set CROSSMINT_API_KEY / --api-key and --env or --base-url)`
      : message;
  if (debug && error instanceof Error && error.stack) return `kyc-handoff: ${line}\n${error.stack}`;
  return `kyc-handoff: ${line}`;
}

/** Wraps a command action: any error becomes one line on stderr and a non-zero exit status. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | undefined>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const debug = process.argv.includes('--debug');
    try {
      const code = await fn(...args);
      if (code !== undefined) process.exitCode = code;
    } catch (error) {
      process.stderr.write(`${describeError(error, debug)}\n`);
      process.exitCode = error instanceof UserError ? error.exitCode : EXIT.fatal;
    }
  };
}
