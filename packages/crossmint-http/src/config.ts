/** Where each Crossmint environment serves the users API. */
export const CROSSMINT_BASE_URLS = {
  staging: 'https://staging.crossmint.com/api',
  production: 'https://www.crossmint.com/api',
} as const;

export type CrossmintEnv = keyof typeof CROSSMINT_BASE_URLS;

export type ClientTarget = { env: CrossmintEnv } | { baseUrl: string };

export interface ClientTimeouts {
  /** Establishing the TCP/TLS connection. */
  connectMs?: number | undefined;
  /** From sending the request to receiving the response headers. */
  headersMs?: number | undefined;
  /** Longest silence while receiving the response body. */
  bodyMs?: number | undefined;
  /** Deadline for a whole call, answer included: a server trickling bytes cannot hold it longer. */
  totalMs?: number | undefined;
}

export interface DebugInfo {
  method: string;
  /** The API path (after the base URL); it names the user locator, never personal data. */
  path: string;
  status?: number;
  durationMs: number;
  errorKind?: string;
  /** 1, or 2 when the one transport-level retry happened. */
  attempts: number;
}

export interface ClientOptions {
  /** A server key: `sk_staging_…` or `sk_production_…`. Never printed. */
  apiKey: string;
  /** Upper bound of keep-alive connections to the origin (default 64). */
  connections?: number | undefined;
  timeouts?: ClientTimeouts | undefined;
  /** Wait suggested on a 429 without a usable Retry-After (default 60 000 ms). */
  retryAfterDefaultMs?: number | undefined;
  /** Upper bound of any Retry-After we pass on (default 10 minutes). */
  retryAfterCapMs?: number | undefined;
  /** Called once per call after it ends; receives no key and no body. */
  debug?: ((info: DebugInfo) => void) | undefined;
  /** Replaces the default `kyc-handoff/<version> (+node <ver>)`. */
  userAgent?: string | undefined;
  /** Largest response body read before giving up (default 1 MiB). */
  maxResponseBytes?: number | undefined;
}

/** A refusal to build a client from a configuration that cannot work; the message never holds the key. */
export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
}

export interface ResolvedConfig {
  origin: string;
  /** Base path without trailing slash, e.g. `/api`. */
  basePath: string;
  baseUrl: string;
  connections: number;
  connectMs: number;
  headersMs: number;
  bodyMs: number;
  totalMs: number;
  retryAfterDefaultMs: number;
  retryAfterCapMs: number;
  maxResponseBytes: number;
}

export const DEFAULTS = {
  connections: 64,
  connectMs: 10_000,
  headersMs: 30_000,
  bodyMs: 30_000,
  totalMs: 60_000,
  retryAfterDefaultMs: 60_000,
  retryAfterCapMs: 10 * 60_000,
  maxResponseBytes: 1024 * 1024,
} as const;

const STAGING_HOSTS = new Set(['staging.crossmint.com']);
const PRODUCTION_HOSTS = new Set(['www.crossmint.com', 'crossmint.com']);

/** Checks the target and the key before any request is made; throws ClientConfigError. */
export function resolveConfig(target: ClientTarget, options: ClientOptions): ResolvedConfig {
  const baseUrl = 'env' in target ? baseUrlForEnv(target.env) : target.baseUrl;
  const url = parseBaseUrl(baseUrl);
  checkKey(options.apiKey, url.hostname);
  const t = options.timeouts ?? {};
  return {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    baseUrl: url.origin + url.pathname.replace(/\/+$/, ''),
    connections: positiveInt('connections', options.connections ?? DEFAULTS.connections),
    connectMs: positive('timeouts.connectMs', t.connectMs ?? DEFAULTS.connectMs),
    headersMs: positive('timeouts.headersMs', t.headersMs ?? DEFAULTS.headersMs),
    bodyMs: positive('timeouts.bodyMs', t.bodyMs ?? DEFAULTS.bodyMs),
    totalMs: positive('timeouts.totalMs', t.totalMs ?? DEFAULTS.totalMs),
    retryAfterDefaultMs: nonNegative(
      'retryAfterDefaultMs',
      options.retryAfterDefaultMs ?? DEFAULTS.retryAfterDefaultMs,
    ),
    retryAfterCapMs: nonNegative('retryAfterCapMs', options.retryAfterCapMs ?? DEFAULTS.retryAfterCapMs),
    maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes ?? DEFAULTS.maxResponseBytes),
  };
}

function baseUrlForEnv(env: unknown): string {
  if (env === 'staging' || env === 'production') return CROSSMINT_BASE_URLS[env];
  throw new ClientConfigError(
    `Unknown Crossmint environment ${JSON.stringify(env)}: use "staging" or "production".`,
  );
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ClientConfigError(
      'The Crossmint base URL is not a valid URL (expected e.g. http://127.0.0.1:8080/api).',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClientConfigError(`The Crossmint base URL must use http or https, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ClientConfigError('The Crossmint base URL must not carry credentials, a query or a fragment.');
  }
  return url;
}

/** Which Crossmint environment a host belongs to, if it is one of Crossmint's. */
function envOfHost(hostname: string): CrossmintEnv | undefined {
  const host = hostname.toLowerCase();
  if (STAGING_HOSTS.has(host)) return 'staging';
  if (PRODUCTION_HOSTS.has(host)) return 'production';
  return undefined;
}

function checkKey(apiKey: unknown, hostname: string): void {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new ClientConfigError(
      'No Crossmint API key given: set a server key (sk_staging_… or sk_production_…).',
    );
  }
  // undici refuses such a header value on every request, which would read as an endless transient
  // failure; the key itself is never echoed.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ClientConfigError(
      'The Crossmint API key contains a character an HTTP header cannot carry (a line break, a space, a ' +
        'control or non-ASCII character): check how it was set, e.g. a trailing newline in a key file.',
    );
  }
  if (apiKey.startsWith('ck_')) {
    throw new ClientConfigError(
      'The Crossmint API key is a client key (ck_…); the users API needs a server key (sk_…).',
    );
  }
  if (!apiKey.startsWith('sk_')) {
    throw new ClientConfigError('The Crossmint API key is not a server key: it must start with sk_.');
  }
  const env = envOfHost(hostname);
  if (env === 'production' && apiKey.startsWith('sk_staging_')) {
    throw new ClientConfigError(
      `A staging key (sk_staging_…) cannot be used against the production host ${hostname}: use a sk_production_ key or the staging environment.`,
    );
  }
  if (env === 'staging' && apiKey.startsWith('sk_production_')) {
    throw new ClientConfigError(
      `A production key (sk_production_…) cannot be used against the staging host ${hostname}: use a sk_staging_ key or the production environment.`,
    );
  }
  if (env !== undefined && !apiKey.startsWith(`sk_${env}_`)) {
    throw new ClientConfigError(`The ${env} host ${hostname} needs a sk_${env}_… server key.`);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new ClientConfigError(`${name} must be a positive number.`);
  }
  return value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ClientConfigError(`${name} must be a positive integer.`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new ClientConfigError(`${name} must be zero or more.`);
  }
  return value;
}
