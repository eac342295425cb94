import { CONSOLE_DEFAULTS, createMetrics, type RunningConsole, startConsole } from '@kyc-handoff/console';
import { DEFAULTS } from '@kyc-handoff/engine';
import { Command } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { announceConsole } from '../console-option.js';
import { action, UserError } from '../errors.js';
import { portNumber } from '../port.js';
import { nonNegativeInt } from '../session.js';
import { openStoreOnly } from '../store-only.js';

interface ConsoleCommandFlags extends GlobalFlags {
  port: number;
  host: string;
  readOnly?: boolean;
  readsPerMin: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Resolves at the first SIGINT or SIGTERM, with its name. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `kyc-handoff console`: the operator console over the store, until SIGINT/SIGTERM. */
export function consoleCommand(): Command {
  return withGlobalOptions(
    new Command('console')
      .description(
        'serve the operator console: a local web page of the store (counts, the machine with live counts, queues, users) with Retry',
      )
      .option('--port <n>', 'port to listen on (0 = any free port)', portNumber, CONSOLE_DEFAULTS.port)
      .option(
        '--host <address>',
        'address to listen on; other than 127.0.0.1 lets other machines read every page',
        CONSOLE_DEFAULTS.host,
      )
      .option('--read-only', 'hide the actions (Retry) and refuse every POST')
      .option(
        '--reads-per-min <n>',
        'the read budget the runs use, from which the poll interval and the ETA are computed (0 = unlimited)',
        nonNegativeInt,
        DEFAULTS.readsPerMinute,
      ),
  )
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff console --store sqlite:./kyc-handoff-demo.db
  console: http://127.0.0.1:4300/?token=3q2-…   (open it; the token unlocks Retry)
  $ kyc-handoff console --read-only --port 0      # any free port, no actions
  $ kyc-handoff worker --console=4301             # or alongside a run: import, resume and worker take --console

Pages need no token (the console listens on 127.0.0.1 only and answers only Host headers naming it);
every action needs the token printed at start, sent by the page as the X-Console-Token header. It
reads onboarding rows and journals, never records. GET /metrics answers in the Prometheus text format.
Runs until SIGINT/SIGTERM.`,
    )
    .action(
      action(async (flags: ConsoleCommandFlags) => {
        const readsPerMinute = flags.readsPerMin === 0 ? 'unlimited' : flags.readsPerMin;
        const { store, handoff, label, close } = await openStoreOnly(flags, readsPerMinute);
        // GET /metrics on the console: the store's gauges (states, outbox) and what this process does.
        const metrics = createMetrics();
        metrics.attach({ handoff });
        let running: RunningConsole;
        try {
          running = await startConsole({
            store,
            handoff,
            host: flags.host,
            port: flags.port,
            readOnly: flags.readOnly === true,
            metrics,
          });
        } catch (error) {
          metrics.close();
          await close();
          throw new UserError((error as Error).message);
        }
        if (!LOOPBACK.has(flags.host)) {
          process.stderr.write(
            `warning: listening on ${flags.host}: other machines can read every page (actions still need the token)\n`,
          );
        }
        process.stderr.write(`console over ${label}; Ctrl-C (SIGINT) or SIGTERM stops it\n`);
        announceConsole(running, flags.readOnly === true);
        const signal = await untilSignal();
        process.stderr.write(`console: ${signal}: stopped\n`);
        await running.close();
        metrics.close();
        await close();
        return 0;
      }),
    );
}
