import {
  type CallOptions,
  type CrossmintError,
  type CrossmintPort,
  DocumentResponse,
  type DocumentUploadRequest,
  EligibilityResponse,
  type LegalDocumentRequest,
  LegalDocumentResponse,
  secretsOf,
  type UpsertOutcome,
  UserResponse,
  type UserUpsertRequest,
} from '@kyc-handoff/core';
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { type Dispatcher, Pool } from 'undici';
import type { ReadBody } from './body.js';
import { type ClientOptions, type ClientTarget, resolveConfig } from './config.js';
import { classifyStatus, classifyTransportError, describeIssues, isConnectionReset } from './errors.js';
import { Exchange, type ExchangeOutcome } from './exchange.js';
import { paths } from './paths.js';
import { CLIENT_VERSION } from './version.js';

/** The Crossmint users API over one keep-alive undici Pool. */
export interface CrossmintClient extends CrossmintPort {
  /** Base URL the client talks to (no key, safe to print). */
  readonly baseUrl: string;
  /** Closes the pool once in-flight requests are done. Idempotent. */
  close(): Promise<void>;
}

interface Schema<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> } };
}

interface Call<T, R> {
  operation: string;
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  body?: unknown;
  schema: Schema<T>;
  map: (value: T, status: number) => R;
}

/** What is known of a call without its response type. */
type CallFacts = Pick<Call<unknown, unknown>, 'method' | 'path' | 'body'>;

const same = <T>(value: T): T => value;

/** How often bodies being read are checked against their call's deadline. */
const DEADLINE_TICK_MS = 250;

/** `upsertUser (PUT /2025-06-09/users/userId%3Au1)`: built only when a message needs it. */
const labelOf = (call: CallFacts & { operation: string }): string =>
  `${call.operation} (${call.method} ${call.path})`;

/**
 * Builds a client after checking the target and key (throws ClientConfigError before any request).
 * The key lives only in this closure and in the request headers: it is not a property of the client.
 */
export function createCrossmintClient(target: ClientTarget, options: ClientOptions): CrossmintClient {
  const config = resolveConfig(target, options);
  const apiKey = options.apiKey;
  const debug = options.debug;
  const userAgent = options.userAgent ?? `kyc-handoff/${CLIENT_VERSION} (+node ${process.versions.node})`;
  const pool = new Pool(config.origin, {
    connections: config.connections,
    connect: { timeout: config.connectMs },
    headersTimeout: config.headersMs,
    bodyTimeout: config.bodyMs,
  });
  const readHeaders = { 'x-api-key': apiKey, accept: 'application/json', 'user-agent': userAgent };
  const writeHeaders = { ...readHeaders, 'content-type': 'application/json' };
  const retryAfter = { defaultMs: config.retryAfterDefaultMs, capMs: config.retryAfterCapMs };
  let closing: Promise<void> | undefined;
  // Answers being read, oldest first, swept by one shared ticker. A linked list: adding and removing
  // cost next to nothing, and a finished answer is unreachable at once (a Set cost measurably more,
  // and an array swept later kept answers alive into the old generation).
  let oldest: Exchange | undefined;
  let newest: Exchange | undefined;
  let ticker: NodeJS.Timeout | undefined;

  function watch(exchange: Exchange): void {
    exchange.watching = true;
    exchange.prev = newest;
    if (newest === undefined) oldest = exchange;
    else newest.next = exchange;
    newest = exchange;
    if (ticker === undefined) ticker = setInterval(cutOverdueAnswers, DEADLINE_TICK_MS).unref();
  }

  function unwatch(exchange: Exchange): void {
    if (!exchange.watching) return;
    exchange.watching = false;
    if (exchange.prev === undefined) oldest = exchange.next;
    else exchange.prev.next = exchange.next;
    if (exchange.next === undefined) newest = exchange.prev;
    else exchange.next.prev = exchange.prev;
    exchange.prev = exchange.next = undefined;
  }

  function cutOverdueAnswers(): void {
    const now = performance.now();
    // At most one answer per connection is being read, so the walk is short.
    for (let exchange = oldest; exchange !== undefined; ) {
      const next = exchange.next;
      if (now >= exchange.deadlineAt) {
        exchange.overran = true;
        unwatch(exchange);
        exchange.abort(new Error('deadline'));
      }
      exchange = next;
    }
  }

  // One listener on each caller's signal, not one per request: it aborts every request in flight
  // under that signal (the engine passes one signal to all its calls).
  const inFlightUnder = new WeakMap<AbortSignal, Set<Exchange>>();
  function inFlightSet(signal: AbortSignal): Set<Exchange> {
    let inFlight = inFlightUnder.get(signal);
    if (inFlight === undefined) {
      const set = new Set<Exchange>();
      inFlight = set;
      inFlightUnder.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          for (const exchange of set) exchange.abort(new Error('aborted by the caller'));
          set.clear();
        },
        { once: true },
      );
    }
    return inFlight;
  }

  /** Sends one request and collects its answer; never rejects. */
  function exchange(
    call: CallFacts,
    payload: string | undefined,
    signal: AbortSignal | undefined,
    deadlineAt: number,
  ): Promise<ExchangeOutcome> {
    return new Promise((resolve) => {
      const inFlight = signal === undefined ? undefined : inFlightSet(signal);
      const sent = new Exchange(deadlineAt, config.maxResponseBytes, watch, (outcome) => {
        unwatch(sent);
        inFlight?.delete(sent);
        resolve(outcome);
      });
      inFlight?.add(sent);
      // Only what the call sets: the Pool knows its origin, and a GET has no body.
      const request: Dispatcher.DispatchOptions = {
        method: call.method,
        path: config.basePath + call.path,
        headers: payload === undefined ? readHeaders : writeHeaders,
      };
      if (payload !== undefined) request.body = payload;
      // A closed pool or a bad option reaches the handler's onResponseError, not a throw.
      pool.dispatch(request, sent);
    });
  }

  /** One async function per call: every extra await on this path showed up in the profile. */
  async function run<T, R>(
    call: Call<T, R>,
    signal: AbortSignal | undefined,
  ): Promise<Result<R, CrossmintError>> {
    const started = performance.now();
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    // One deadline for the call, its transport-level retry included. Connect and headers have
    // undici's timeouts; the body only an idle one, so a server trickling bytes is cut off when
    // the call's deadline comes.
    const deadlineAt = started + config.totalMs;
    for (let attempts = 1; ; attempts++) {
      const outcome: ExchangeOutcome =
        signal?.aborted === true
          ? { answered: false, error: new Error('aborted by the caller') }
          : await exchange(call, payload, signal, deadlineAt);
      if (!outcome.answered) {
        const aborted = signal?.aborted === true;
        // The one transport-level retry: a reset before any response (typically a keep-alive socket
        // the server closed while we reused it). Every call here is idempotent, see README "Retries".
        if (attempts === 1 && !aborted && isConnectionReset(outcome.error)) continue;
        const result = err(classifyTransportError(labelOf(call), outcome.error, aborted, secretsFor(call)));
        if (debug !== undefined) report(call, started, attempts, undefined, result);
        return result;
      }
      const { status, headers, read, overran } = outcome;
      const result = interpret(call, status, headers, read, overran, signal);
      if (debug !== undefined) report(call, started, attempts, status, result);
      return result;
    }
  }

  function interpret<T, R>(
    call: Call<T, R>,
    status: number,
    headers: Dispatcher.ResponseData['headers'],
    read: ReadBody,
    overran: boolean,
    signal: AbortSignal | undefined,
  ): Result<R, CrossmintError> {
    if (status < 200 || status >= 300) {
      return err(
        classifyStatus({
          label: labelOf(call),
          status,
          headers,
          body: read,
          nowMs: Date.now(),
          retryAfter,
          secrets: secretsFor(call),
        }),
      );
    }
    if (!read.ok) {
      if (read.reason === 'too-large') {
        return err(unexpected(labelOf(call), status, `a body over ${config.maxResponseBytes} bytes`));
      }
      if (overran) {
        const message = `${labelOf(call)}: no complete answer within ${config.totalMs} ms; retry later.`;
        return err({ kind: 'transient', message });
      }
      const aborted = signal?.aborted === true;
      return err(classifyTransportError(labelOf(call), read.error, aborted, secretsFor(call), true));
    }
    let json: unknown;
    try {
      json = JSON.parse(read.text);
    } catch {
      return err(unexpected(labelOf(call), status, 'a body that is not JSON'));
    }
    const parsed = call.schema.safeParse(json);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error, secretsFor(call));
      return err(unexpected(labelOf(call), status, `a body of the wrong shape (${issues})`));
    }
    return ok(call.map(parsed.data, status));
  }

  /** The key and every string we sent: redacted from any text that could end up in a message. */
  function secretsFor(call: CallFacts): string[] {
    return secretsOf(call.body, [apiKey]);
  }

  function report(
    call: CallFacts,
    started: number,
    attempts: number,
    status: number | undefined,
    result: Result<unknown, CrossmintError>,
  ): void {
    const info: Parameters<NonNullable<ClientOptions['debug']>>[0] = {
      method: call.method,
      path: call.path,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      attempts,
    };
    if (status !== undefined) info.status = status;
    if (result.isErr()) info.errorKind = result.error.kind;
    try {
      debug?.(info);
    } catch {
      // A failing debug hook must not change the outcome of a call.
    }
  }

  function send<T, R>(call: Call<T, R>, options: CallOptions | undefined): ResultAsync<R, CrossmintError> {
    return new ResultAsync(run(call, options?.signal));
  }

  return {
    baseUrl: config.baseUrl,
    recordLegalDocument: (locator: string, body: LegalDocumentRequest, options?: CallOptions) =>
      send(
        {
          operation: 'recordLegalDocument',
          method: 'PUT',
          path: paths.legalDocuments(locator),
          body,
          schema: LegalDocumentResponse,
          map: same,
        },
        options,
      ),
    upsertUser: (locator: string, body: UserUpsertRequest, options?: CallOptions) =>
      send(
        {
          operation: 'upsertUser',
          method: 'PUT',
          path: paths.user(locator),
          body,
          schema: UserResponse,
          map: (user, status): UpsertOutcome => ({ created: status === 201, user }),
        },
        options,
      ),
    getUser: (locator: string, options?: CallOptions) =>
      send(
        { operation: 'getUser', method: 'GET', path: paths.user(locator), schema: UserResponse, map: same },
        options,
      ),
    triggerVerification: (locator: string, options?: CallOptions) =>
      send(
        {
          operation: 'triggerVerification',
          method: 'PUT',
          path: paths.verification(locator),
          schema: EligibilityResponse,
          map: same,
        },
        options,
      ),
    getVerification: (locator: string, options?: CallOptions) =>
      send(
        {
          operation: 'getVerification',
          method: 'GET',
          path: paths.verification(locator),
          schema: EligibilityResponse,
          map: same,
        },
        options,
      ),
    uploadDocument: (body: DocumentUploadRequest, options?: CallOptions) =>
      send(
        {
          operation: 'uploadDocument',
          method: 'POST',
          path: paths.documents(),
          body,
          schema: DocumentResponse,
          map: same,
        },
        options,
      ),
    getDocument: (documentId: string, options?: CallOptions) =>
      send(
        {
          operation: 'getDocument',
          method: 'GET',
          path: paths.document(documentId),
          schema: DocumentResponse,
          map: same,
        },
        options,
      ),
    close: () => {
      if (ticker !== undefined) clearInterval(ticker);
      ticker = undefined;
      closing ??= pool.close();
      return closing;
    },
  };
}

function unexpected(label: string, status: number, what: string): CrossmintError {
  return { kind: 'unexpected-response', status, message: `${label}: answered ${status} with ${what}.` };
}
