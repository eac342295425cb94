import { CONSOLE_DEFAULTS, type RunningConsole, startConsole } from '@kyc-handoff/console';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from './errors.js';
import { portNumber } from './port.js';
import type { Session } from './session.js';

/**
 * portNumber for --console, whose port is optional: commander takes the next word as its value,
 * so `import --console users.ndjson` reaches here with the file name.
 */
function optionalConsolePort(value: string): number {
  if (/^\d+$/.test(value)) return portNumber(value);
  throw new InvalidArgumentError(
    'must be a port number from 0 to 65535 (0 picks a free one); write --console=PORT, or put --console after the arguments',
  );
}

export interface ConsoleFlags {
  /** Set by --console[=PORT]: serve the console on 127.0.0.1 at this port while the command runs. */
  console?: number;
}

/** Adds --console[=PORT] to a command that runs machines (import, resume, worker). */
export function withConsoleOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--console [port]',
      `serve the operator console on 127.0.0.1 while this runs (port ${CONSOLE_DEFAULTS.port} unless --console=PORT; 0 = any free port)`,
    )
      // Without a value the default port goes through the same check as a given one.
      .preset(String(CONSOLE_DEFAULTS.port))
      .argParser(optionalConsolePort),
  );
}

/** Prints where the console is: the address with its token (to stderr, never to stdout's results). */
export function announceConsole(running: RunningConsole, readOnly: boolean): void {
  process.stderr.write(
    `console: ${running.url}${readOnly ? ' (read-only)' : ''}\n` +
      '  open this address: the token in it unlocks Retry; viewing needs no token\n',
  );
}

/**
 * With --console, serves the console over the session's store and running engine (so Retry wakes
 * this run at once) and returns the session with a close that stops the console first. Without it,
 * the session as it is. A console that cannot start closes the session and stops the command.
 */
export async function startConsoleFor(session: Session, flags: ConsoleFlags): Promise<Session> {
  if (flags.console === undefined) return session;
  let running: RunningConsole;
  try {
    running = await startConsole({
      store: session.store,
      handoff: session.handoff,
      port: flags.console,
      // The session's own metrics, so /metrics counts this run's Crossmint calls too.
      ...(session.metrics !== undefined && { metrics: session.metrics }),
    });
  } catch (error) {
    await session.close();
    throw new UserError(`--console: ${(error as Error).message}`);
  }
  announceConsole(running, false);
  return {
    ...session,
    async close() {
      await running.close();
      await session.close();
    },
  };
}
