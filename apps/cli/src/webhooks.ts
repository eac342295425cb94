import { setTimeout as sleep } from 'node:timers/promises';
import {
  DELIVERY_DEFAULTS,
  type Delivery,
  type DeliveryHandler,
  type DeliveryOptions,
  type Handoff,
  WebhookConfigError,
  webhookSender,
} from '@kyc-handoff/engine';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type SecretNames, secretFrom } from './config.js';
import { UserError } from './errors.js';

/** The webhook options of the commands that run machines. */
export interface WebhookFlags {
  webhookUrl?: string;
  webhookSecret?: string;
  webhookSecretFile?: string;
  webhookDrainMs: number;
  webhookRetryMs: number;
}

export const DEFAULT_WEBHOOK_DRAIN_MS = 10_000;

function wholeMs(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`must be a whole number of milliseconds from ${min} to 2147483647`);
    }
    return n;
  };
}

/** Adds --webhook-url, --webhook-secret(-file), --webhook-drain-ms and --webhook-retry-ms. */
export function withWebhookOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--webhook-url <url>',
        "POST every outbox event (verified, rejected, requiresData, failed, submitted) to the platform's receiver as Standard Webhooks",
      ).env('KYC_HANDOFF_WEBHOOK_URL'),
    )
    .addOption(
      new Option(
        '--webhook-secret <whsec>',
        "the receiver's signing secret whsec_… (never printed; other local users see flags in ps: prefer --webhook-secret-file)",
      ).env('KYC_HANDOFF_WEBHOOK_SECRET'),
    )
    .addOption(
      new Option(
        '--webhook-secret-file <file>',
        'read the webhook signing secret from this file (mode 0600)',
      ).env('KYC_HANDOFF_WEBHOOK_SECRET_FILE'),
    )
    .addOption(
      new Option(
        '--webhook-drain-ms <n>',
        'at the end of a run that ends by itself, how long to wait for webhook deliveries (undelivered ones stay in the outbox for the next run)',
      )
        .argParser(wholeMs(0))
        .default(DEFAULT_WEBHOOK_DRAIN_MS),
    )
    .addOption(
      new Option(
        '--webhook-retry-ms <n>',
        'first wait before a failed webhook delivery is retried (doubles each attempt, with jitter, up to 1 h; given up after 3 days)',
      )
        .argParser(wholeMs(1))
        .default(DELIVERY_DEFAULTS.retryBaseMs),
    );
}

const SECRET_NAMES: SecretNames = {
  flag: '--webhook-secret',
  env: 'KYC_HANDOFF_WEBHOOK_SECRET',
  fileFlag: '--webhook-secret-file',
  fileEnv: 'KYC_HANDOFF_WEBHOOK_SECRET_FILE',
};

/** Where deliveries go and how, once checked. */
export interface WebhookTarget {
  handler: DeliveryHandler;
  /** The receiver's scheme, host and port: safe to print (a path or query may hold a token). */
  origin: string;
  options: DeliveryOptions;
}

/**
 * The webhook the flags ask for, checked before anything else runs: a URL and a secret together or
 * neither, a URL that parses, a secret Standard Webhooks can sign with. Each refusal is one line
 * that names the flag and never the secret.
 */
export function webhookTarget(flags: WebhookFlags, command: Command): WebhookTarget | undefined {
  const secret = secretFrom(
    flags.webhookSecret,
    flags.webhookSecretFile,
    {
      value: command.getOptionValueSource('webhookSecret'),
      file: command.getOptionValueSource('webhookSecretFile'),
    },
    SECRET_NAMES,
  );
  const url = flags.webhookUrl?.trim() === '' ? undefined : flags.webhookUrl;
  if (url === undefined && secret === undefined) return undefined;
  if (url === undefined) {
    throw new UserError(
      'a webhook secret was given without a URL: set --webhook-url (KYC_HANDOFF_WEBHOOK_URL) too, or drop the secret',
    );
  }
  if (secret === undefined) {
    throw new UserError(
      '--webhook-url needs the signing secret: set --webhook-secret-file (KYC_HANDOFF_WEBHOOK_SECRET_FILE) or --webhook-secret (KYC_HANDOFF_WEBHOOK_SECRET) to the whsec_… the receiver gave',
    );
  }
  let handler: DeliveryHandler;
  try {
    handler = webhookSender({ url, secret });
  } catch (error) {
    if (error instanceof WebhookConfigError)
      throw new UserError(`--webhook-url/--webhook-secret: ${error.message}`);
    throw error;
  }
  return {
    handler,
    origin: new URL(url).origin,
    options: { retryBaseMs: flags.webhookRetryMs },
  };
}

/**
 * Waits for the outbox to be delivered, for up to `drainMs`: also through retries that fall due
 * within that time. What is left is said on stderr with its count: it stays in the outbox, and the
 * next run with a webhook delivers it.
 */
export async function drainWebhooks(
  handoff: Handoff,
  delivery: Delivery,
  drainMs: number,
  interrupted: () => boolean,
): Promise<void> {
  const deadline = Date.now() + drainMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0 || interrupted()) break;
    await delivery.drain({ timeoutMs: remaining });
    if ((await handoff.outbox.stats()).pending === 0) return;
    // Pending but not due yet (a retry later): look again shortly, within the deadline.
    await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
  }
  const { pending } = await handoff.outbox.stats();
  if (pending > 0) {
    process.stderr.write(
      `webhooks: ${pending} event${pending === 1 ? '' : 's'} not delivered within --webhook-drain-ms ${drainMs}; they stay in the outbox and the next run with --webhook-url delivers them (kyc-handoff webhooks status)\n`,
    );
  }
}
