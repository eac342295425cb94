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
import { discard, type ReadBody, readBody } from './body.js';
import { type ClientOptions, type ClientTarget, resolveConfig } from './config.js';
import { classifyStatus, classifyTransportError, describeIssues, isConnectionReset } from './errors.js';
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

/** A body being read: a node of the list the deadline ticker walks. */
interface BodyWatch {
  deadlineAt: number;
  body: Dispatcher.ResponseData['body'];
  overran: boolean;
  prev: BodyWatch | undefined;
  next: BodyWatch | undefined;
}

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
  // Bodies being read, oldest first, swept by one shared ticker. A linked list: adding and removing
  // cost next to nothing, and a finished body is unreachable at once (a Set cost measurably more, and
  // an array swept later kept bodies alive into the old generation).
  let oldest: BodyWatch | undefined;
  let newest: BodyWatch | undefined;
  let ticker: NodeJS.Timeout | undefined;

  function watchBody(body: BodyWatch['body'], deadlineAt: number): BodyWatch {
    const watch: BodyWatch = { deadlineAt, body, overran: false, prev: newest, next: undefined };
    if (newest === undefined) oldest = watch;
    else newest.next = watch;
    newest = watch;
    if (ticker === undefined) ticker = setInterval(cutOverdueBodies, DEADLINE_TICK_MS).unref();
    return watch;
  }

  function unwatch(watch: BodyWatch): void {
    if (watch.prev === undefined) oldest = watch.next;
    else watch.prev.next = watch.next;
    if (watch.next === undefined) newest = watch.prev;
    else watch.next.prev = watch.prev;
    watch.prev = watch.next = undefined;
  }

  function cutOverdueBodies(): void {
    const now = performance.now();
    // At most one body per connection is being read, so the walk is short.
    for (let watch = oldest; watch !== undefined; ) {
      const next = watch.next;
      if (now >= watch.deadlineAt) {
        watch.overran = true;
        unwatch(watch);
        watch.body.destroy(new Error('deadline'));
      }
      watch = next;
    }
  }

  /** One async function per call: every extra await on this path showed up in the profile. */
  async function run<T, R>(
    call: Call<T, R>,
    signal: AbortSignal | undefined,
  ): Promise<Result<R, CrossmintError>> {
    const started = performance.now();
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    // One deadline for the call, its transport-level retry included.
    const deadlineAt = started + config.totalMs;
    let response: Dispatcher.ResponseData;
    let attempts = 1;
    for (; ; attempts++) {
      try {
        // Only what the call sets: the Pool knows its origin, and a GET has no body.
        const request: Dispatcher.RequestOptions = {
          method: call.method,
          path: config.basePath + call.path,
          headers: payload === undefined ? readHeaders : writeHeaders,
        };
        if (payload !== undefined) request.body = payload;
        if (signal !== undefined) request.signal = signal;
        response = await pool.request(request);
        break;
      } catch (error) {
        const aborted = signal?.aborted === true;
        // The one transport-level retry: a reset before any response (typically a keep-alive socket
        // the server closed while we reused it). Every call here is idempotent, see README "Retries".
        if (attempts === 1 && !aborted && isConnectionReset(error)) continue;
        const result = err(classifyTransportError(labelOf(call), error, aborted, secretsFor(call)));
        if (debug !== undefined) report(call, started, attempts, undefined, result);
        return result;
      }
    }
    const { statusCode: status, headers, body } = response;
    // Connect and headers have undici's timeouts; the body only an idle one, so a server trickling
    // bytes is cut off when the call's deadline comes. One shared ticker watches every body being
    // read: a timer per call cost more CPU than the rest of the client's own work.
    const watch = watchBody(body, deadlineAt);
    const contentLength = headers['content-length'];
    let read: ReadBody;
    const declared = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN;
    if (declared >= 0 && declared <= config.maxResponseBytes) {
      // The common case, inlined: undici frames the body by its length, so it cannot grow.
      try {
        read = { ok: true, text: await body.text() };
      } catch (error) {
        discard(body);
        read = { ok: false, reason: 'interrupted', error };
      }
    } else {
      read = await readBody(body, contentLength, config.maxResponseBytes);
    }
    if (!watch.overran) unwatch(watch);
    const result = interpret(call, status, headers, read, watch.overran, signal);
    if (debug !== undefined) report(call, started, attempts, status, result);
    return result;
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
