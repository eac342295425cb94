import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { OnboardingPolicy, OnboardingStore, ProductType } from '@kyc-handoff/core';
import type { CrossmintClient } from '@kyc-handoff/crossmint-http';
import {
  createDocumentReader,
  createHandoff,
  type DocumentReader,
  type Handoff,
  type Logger,
  type TransitionNotice,
} from '@kyc-handoff/engine';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type GlobalFlags, openClient, openStore } from './config.js';
import { UserError } from './errors.js';
import { type AttachedInspector, attachInspector } from './inspect.js';

/** Options of the commands that run machines (demo, import, onboard, resume, worker, supply, retry). */
export interface RunFlags {
  concurrency: number;
  writesPerMin: number;
  readsPerMin: number;
  targets: ProductType[];
  inspect?: string | true;
  leaseMs: number;
  documentsDir?: string;
  documentBufferMb: number;
  debug?: boolean;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number >= 0');
  return n;
}

function positiveInt(value: string): number {
  const n = nonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError('must be at least 1');
  return n;
}

const PRODUCTS: readonly ProductType[] = ['onramp', 'onramp-light', 'offramp', 'regulated-transfer'];

function productList(value: string): ProductType[] {
  const list = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const p of list) {
    if (!(PRODUCTS as readonly string[]).includes(p)) {
      throw new InvalidArgumentError(`unknown product; use a comma-separated list of ${PRODUCTS.join(', ')}`);
    }
  }
  if (list.length === 0) throw new InvalidArgumentError('name at least one product');
  return list as ProductType[];
}

export function withRunOptions(command: Command): Command {
  return command
    .option('--concurrency <n>', 'Crossmint calls in flight at most', positiveInt, 16)
    .option(
      '--writes-per-min <n>',
      "write budget per minute, shared by every worker of the store (0 = unlimited; Crossmint's limit is 120)",
      nonNegativeInt,
      120,
    )
    .option('--reads-per-min <n>', 'read budget per minute (0 = unlimited)', nonNegativeInt, 360)
    .addOption(
      new Option('--targets <products>', 'products that must be verified, comma-separated')
        .argParser(productList)
        .default(['offramp'], 'offramp'),
    )
    .option(
      '--lease-ms <n>',
      "how long a worker's claim on an onboarding lasts unless renewed (a crashed run's users wait this long)",
      positiveInt,
      60_000,
    )
    .addOption(
      new Option(
        '--documents-dir <dir>',
        "document files are read only from inside this folder (default: the input file's folder for import, else the working directory)",
      ).env('KYC_HANDOFF_DOCUMENTS_DIR'),
    )
    .option(
      '--document-buffer-mb <n>',
      'memory for document uploads at once, whatever the concurrency (an upload takes about 4x its file)',
      positiveInt,
      64,
    )
    .addOption(
      new Option(
        '--inspect [where]',
        'stream the machines to the Stately inspector: hosted (no value) or --inspect=local (ws://localhost:8080)',
      ),
    );
}

/**
 * Engine logs go to stderr: errors and warnings always (the engine says each kind of trouble once at
 * warn, the repeats at debug), details with --debug. Never record content.
 */
function stderrLogger(debug: boolean): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  return {
    debug: (m, f) => debug && write('debug', m, f),
    info: (m, f) => debug && write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

const FATAL_KINDS: Record<string, string> = {
  'not-enabled':
    'Crossmint says this project is not enabled for the users KYC endpoints: ask Crossmint to enable them for the project of this API key, then `kyc-handoff retry USER_ID` the failed onboardings (stopped early to save the rate budget)',
  unauthorized:
    'Crossmint refused the API key (unauthorized): check CROSSMINT_API_KEY and that it belongs to the environment of --env/--base-url (and has the users.create and users.read scopes)',
};

export interface Session {
  handoff: Handoff;
  /**
   * Runs until `until`, with graceful SIGINT/SIGTERM (stop with 10 s of grace; a second signal exits
   * at once with 130). Resolves with `interrupted` when a signal ended it; throws the fatal problem
   * (project not enabled, key refused) when one stopped it.
   */
  run(until: 'idle' | 'triggered' | 'stopped'): Promise<{ interrupted: boolean }>;
  close(): Promise<void>;
}

export interface SessionOptions {
  crossmint: CrossmintClient;
  store: OnboardingStore;
  flags: RunFlags;
  policy?: Partial<OnboardingPolicy>;
  precheck?: boolean;
  idleSweepMs?: number;
  /** Where documents are read from unless --documents-dir says otherwise (default: the working directory). */
  documentsDir?: string;
}

/** The reader of document files: inside the documents folder only, within the memory budget. */
function documentReaderFor(flags: RunFlags, fallbackDir: string | undefined): DocumentReader {
  const root = resolve(flags.documentsDir ?? fallbackDir ?? process.cwd());
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) {
    throw new UserError(
      `the documents folder ${root} does not exist or is not a folder: pass --documents-dir DIR (or KYC_HANDOFF_DOCUMENTS_DIR)`,
    );
  }
  return createDocumentReader({ root, maxHeldBytes: flags.documentBufferMb * 1024 * 1024 });
}

/**
 * The client (its key checked first), the store, and a session over them, from a command's flags:
 * what every command that drives onboardings against Crossmint opens (the demo brings its sandbox).
 */
export async function openSession(
  flags: GlobalFlags & RunFlags,
  command: Command,
  options: Omit<SessionOptions, 'crossmint' | 'store' | 'flags'> = {},
): Promise<Session> {
  const crossmint = openClient(flags, command);
  const store = await openStore(flags);
  return startSession({ crossmint, store, flags, ...options });
}

export async function startSession(options: SessionOptions): Promise<Session> {
  const { flags } = options;
  const readDocument = documentReaderFor(flags, options.documentsDir);
  let attached: AttachedInspector | undefined;
  if (flags.inspect !== undefined) attached = await attachInspector(flags.inspect);
  const handoff = createHandoff({
    crossmint: options.crossmint,
    store: options.store,
    budgets: { writesPerMinute: flags.writesPerMin, readsPerMinute: flags.readsPerMin },
    concurrency: flags.concurrency,
    leaseMs: flags.leaseMs,
    targets: flags.targets,
    readDocument,
    logger: stderrLogger(flags.debug === true),
    ...(options.policy && { policy: options.policy }),
    ...(attached && { inspector: attached.inspector }),
    ...(options.precheck !== undefined && { precheck: options.precheck }),
    ...(options.idleSweepMs !== undefined && { idleSweepMs: options.idleSweepMs }),
  });

  let fatal: UserError | undefined;
  handoff.subscribe((notice: TransitionNotice) => {
    if (fatal !== undefined || notice.event !== 'STEP_FAILED') return;
    const kind = notice.detail?.split(' ')[0] ?? '';
    const message = FATAL_KINDS[kind];
    if (message === undefined) return;
    fatal = new UserError(message);
    void handoff.stop({ graceMs: 2_000 });
  });

  async function run(until: 'idle' | 'triggered' | 'stopped') {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        process.stderr.write('\nkyc-handoff: stopped at once (second signal); re-run to continue\n');
        process.exit(130);
      }
      process.stderr.write(
        `\nkyc-handoff: ${signal}: letting calls in flight finish (up to 10 s); press Ctrl-C again to quit at once\n`,
      );
      void handoff.stop({ graceMs: 10_000 });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await handoff.run({ until });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (fatal !== undefined) throw fatal;
    return { interrupted: signals > 0 };
  }

  return {
    handoff,
    run,
    async close() {
      attached?.close();
      await options.crossmint.close();
      await options.store.close();
    },
  };
}
