import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Metrics } from '@kyc-handoff/console';
import {
  DEFAULT_POLICY,
  type OnboardingStore,
  type PolicyOverrides,
  PRODUCT_TYPES,
  type ProductType,
} from '@kyc-handoff/core';
import type { CrossmintClient } from '@kyc-handoff/crossmint-http';
import {
  createDocumentReader,
  createHandoff,
  DEFAULT_MAX_HELD_DOCUMENT_BYTES,
  DEFAULTS,
  type Delivery,
  type DocumentReader,
  type FatalKind,
  type Handoff,
  HandoffFatalError,
  type Logger,
} from '@kyc-handoff/engine';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type GlobalFlags, openClient, openStore } from './config.js';
import { UserError } from './errors.js';
import { type AttachedInspector, attachInspector } from './inspect.js';
import {
  type MetricsFlags,
  type MetricsServer,
  type SessionMetrics,
  serveMetrics,
  sessionMetrics,
} from './metrics-option.js';
import {
  drainWebhooks,
  type WebhookFlags,
  type WebhookTarget,
  webhookTarget,
  withWebhookOptions,
} from './webhooks.js';

/** Options of the commands that run machines (demo, import, onboard, resume, worker, supply, retry). */
export interface RunFlags extends WebhookFlags {
  concurrency: number;
  writesPerMin: number;
  readsPerMin: number;
  targets: ProductType[];
  inspect?: string | true;
  leaseMs: number;
  documentsDir?: string;
  documentBufferMb: number;
  debug?: boolean;
  httpThread?: boolean;
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

function leaseMs(value: string): number {
  const n = nonNegativeInt(value);
  if (n < 1_000) throw new InvalidArgumentError('must be at least 1000 (a shorter lease lapses mid-call)');
  return n;
}

function productList(value: string): ProductType[] {
  const list = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const p of list) {
    if (!(PRODUCT_TYPES as readonly string[]).includes(p)) {
      throw new InvalidArgumentError(
        `unknown product; use a comma-separated list of ${PRODUCT_TYPES.join(', ')}`,
      );
    }
  }
  if (list.length === 0) throw new InvalidArgumentError('name at least one product');
  if (new Set(list).size !== list.length) throw new InvalidArgumentError('names a product twice');
  return list as ProductType[];
}

/** Adds --poll-ms: the first wait between verification polls of the onboardings a run starts. */
export function withPollOption(command: Command): Command {
  return command.option(
    '--poll-ms <n>',
    `first wait between verification polls (doubles each poll up to 5 min; default ${DEFAULT_POLICY.pollInitialMs}) of the onboardings this run starts: new submits and retries afresh; started ones keep theirs`,
    positiveInt,
  );
}

/** The engine policy --poll-ms asks for, as openSession options. */
export function pollPolicy(flags: { pollMs?: number }): { policy?: { pollInitialMs: number } } {
  return flags.pollMs === undefined ? {} : { policy: { pollInitialMs: flags.pollMs } };
}

export function withRunOptions(command: Command): Command {
  command
    .option(
      '--concurrency <n>',
      'onboardings driven at once (each with one call in flight at most)',
      positiveInt,
      DEFAULTS.concurrency,
    )
    .option(
      '--writes-per-min <n>',
      `write budget per minute, shared by every worker of the store (0 = unlimited; Crossmint's limit is ${DEFAULTS.writesPerMinute})`,
      nonNegativeInt,
      DEFAULTS.writesPerMinute,
    )
    .option(
      '--reads-per-min <n>',
      `read budget per minute (0 = unlimited; Crossmint's limit is ${DEFAULTS.readsPerMinute})`,
      nonNegativeInt,
      DEFAULTS.readsPerMinute,
    )
    .addOption(
      new Option('--targets <products>', 'products that must be verified, comma-separated')
        .argParser(productList)
        .default([...DEFAULTS.targets], DEFAULTS.targets.join(',')),
    )
    .option(
      '--lease-ms <n>',
      "how long a worker's claim on an onboarding lasts unless renewed (a crashed run's users wait this long; at least 1000)",
      leaseMs,
      DEFAULTS.leaseMs,
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
      DEFAULT_MAX_HELD_DOCUMENT_BYTES / (1024 * 1024),
    )
    .option(
      '--http-thread',
      "HTTP on a worker thread: takes a quarter to a third of the work per user off the engine's one thread, faster where a core is spare, nothing to gain on one core (BENCHMARKS.md)",
    )
    .addOption(
      new Option(
        '--inspect [where]',
        'stream the machines to the Stately inspector: hosted (no value) or --inspect=local (ws://localhost:8080)',
      ),
    );
  return withWebhookOptions(command);
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

/** What to do about each fatal answer, in the CLI's own terms. */
const FATAL_MESSAGES: Record<FatalKind, string> = {
  'not-enabled':
    'Crossmint says this project is not enabled for the users KYC endpoints: ask Crossmint to enable them for the project of this API key, then `kyc-handoff retry USER_ID` the failed onboardings (stopped early to save the rate budget)',
  unauthorized:
    'Crossmint refused the API key (unauthorized): check CROSSMINT_API_KEY and that it belongs to the environment of --env/--base-url (and has the users.create and users.read scopes), then `kyc-handoff retry USER_ID` the failed onboardings',
};

export interface Session {
  handoff: Handoff;
  store: OnboardingStore;
  /**
   * Runs until `until`, with graceful SIGINT/SIGTERM (stop with 10 s of grace; a second signal exits
   * at once with 130). Resolves with `interrupted` when a signal ended it; throws the fatal problem
   * (project not enabled, key refused) when one stopped it. With webhooks, a run that ends by
   * itself then drains the outbox for up to --webhook-drain-ms.
   */
  run(until: 'idle' | 'triggered' | 'stopped'): Promise<{ interrupted: boolean }>;
  /** The session's Prometheus metrics (with --metrics-port or --console), Crossmint calls counted. */
  metrics?: Metrics | undefined;
  close(): Promise<void>;
}

export interface SessionOptions {
  crossmint: CrossmintClient;
  store: OnboardingStore;
  flags: RunFlags;
  policy?: PolicyOverrides;
  precheck?: boolean;
  idleSweepMs?: number;
  /** Where documents are read from unless --documents-dir says otherwise (default: the working directory). */
  documentsDir?: string;
  /** Deliver the outbox to this webhook while the session runs (checked by webhookTarget). */
  webhook?: WebhookTarget | undefined;
  /** Prometheus metrics of the session: served at --metrics-port, and by the console of --console. */
  metrics?: SessionMetrics | undefined;
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
  flags: GlobalFlags & RunFlags & MetricsFlags & { console?: number | undefined },
  command: Command,
  options: Omit<SessionOptions, 'crossmint' | 'store' | 'flags'> = {},
): Promise<Session> {
  // A webhook that cannot work is refused first, before the key is read or the store opened.
  const webhook = webhookTarget(flags, command);
  const metrics = sessionMetrics(flags, command);
  const crossmint = openClient(flags, command, metrics?.metrics.observeCall);
  const store = await openStore(flags);
  return startSession({ crossmint, store, flags, webhook, metrics, ...options });
}

export async function startSession(options: SessionOptions): Promise<Session> {
  const { flags } = options;
  const readDocument = documentReaderFor(flags, options.documentsDir);
  let attached: AttachedInspector | undefined;
  if (flags.inspect !== undefined) attached = await attachInspector(flags.inspect);
  const handoff = createHandoff({
    crossmint: options.crossmint,
    store: options.store,
    // On the command line (as in the sandbox) 0 means no limit.
    budgets: {
      writesPerMinute: flags.writesPerMin === 0 ? 'unlimited' : flags.writesPerMin,
      readsPerMinute: flags.readsPerMin === 0 ? 'unlimited' : flags.readsPerMin,
    },
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
  const served = options.metrics;
  let metricsServer: MetricsServer | undefined;
  if (served?.port !== undefined) {
    metricsServer = await serveMetrics({ ...served, port: served.port }, handoff).catch(
      async (error: unknown) => {
        await Promise.all([options.crossmint.close(), options.store.close()]);
        throw error;
      },
    );
  } else {
    served?.metrics.attach({ handoff });
  }
  // Delivered alongside the run, from the start: `submitted` events go out while records are read.
  let delivery: Delivery | undefined;
  if (options.webhook !== undefined) {
    delivery = handoff.deliver(options.webhook.handler, options.webhook.options);
    process.stderr.write(`webhooks: delivering outbox events to ${options.webhook.origin}\n`);
  }

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
      if (delivery !== undefined && until !== 'stopped' && signals === 0) {
        await drainWebhooks(handoff, delivery, flags.webhookDrainMs, () => signals > 0);
      }
    } catch (error) {
      if (error instanceof HandoffFatalError) throw new UserError(FATAL_MESSAGES[error.kind]);
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return { interrupted: signals > 0 };
  }

  return {
    handoff,
    store: options.store,
    run,
    metrics: served?.metrics,
    async close() {
      if (metricsServer !== undefined) await metricsServer.close();
      else served?.metrics.close();
      await delivery?.stop({ graceMs: 2_000 });
      attached?.close();
      await options.crossmint.close();
      await options.store.close();
    },
  };
}
