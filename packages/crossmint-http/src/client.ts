import {
  type CallOptions,
  type CrossmintError,
  type CrossmintPort,
  DocumentResponse,
  type DocumentUploadRequest,
  EligibilityResponse,
  type LegalDocumentRequest,
  LegalDocumentResponse,
  type UpsertOutcome,
  UserResponse,
  type UserUpsertRequest,
} from '@kyc-handoff/core';
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { type Dispatcher, Pool } from 'undici';
import { parseJson, readBody } from './body.js';
import { type ClientOptions, type ClientTarget, resolveConfig } from './config.js';
import { classifyStatus, classifyTransportError, describeIssues, isConnectionReset } from './errors.js';
import { paths } from './paths.js';
import { secretsOf } from './redact.js';
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

interface BodyWatch {
  deadlineAt: number;
  body: Dispatcher.ResponseData['body'];
  overran: boolean;
}

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
  const reading = new Set<BodyWatch>();
  let ticker: NodeJS.Timeout | undefined;

  function cutOverdueBodies(): void {
    const now = performance.now();
    for (const watch of reading) {
      if (now < watch.deadlineAt) continue;
      watch.overran = true;
      reading.delete(watch);
      watch.body.destroy(new Error('deadline'));
    }
  }

  async function attempt<T, R>(
    call: Call<T, R>,
    label: string,
    payload: string | undefined,
    signal: AbortSignal | undefined,
    deadlineAt: number,
  ): Promise<{ result: Result<R, CrossmintError>; status?: number; reset?: boolean }> {
    const overdue = (): { result: Result<R, CrossmintError> } => ({
      result: err({
        kind: 'transient',
        message: `${label}: no complete answer within ${config.totalMs} ms; retry later.`,
      }),
    });
    let response: Dispatcher.ResponseData;
    try {
      response = await pool.request({
        origin: config.origin,
        method: call.method,
        path: config.basePath + call.path,
        headers: payload === undefined ? readHeaders : writeHeaders,
        body: payload ?? null,
        signal: signal ?? null,
      });
    } catch (error) {
      const aborted = signal?.aborted === true;
      return {
        result: err(classifyTransportError(label, error, aborted, secretsFor(call))),
        reset: !aborted && isConnectionReset(error),
      };
    }
    const { statusCode: status, headers, body } = response;
    // Connect and headers have undici's timeouts; the body only an idle one, so a server trickling
    // bytes is cut off when the call's deadline comes. One shared ticker watches every body being
    // read: a timer per call cost more CPU than the rest of the client's own work.
    const watch: BodyWatch = { deadlineAt, body, overran: false };
    reading.add(watch);
    if (ticker === undefined) ticker = setInterval(cutOverdueBodies, DEADLINE_TICK_MS).unref();
    const read = await readBody(body, headers['content-length'], config.maxResponseBytes);
    reading.delete(watch);
    const overran = watch.overran;
    if (status < 200 || status >= 300) {
      const error = classifyStatus({
        label,
        status,
        headers,
        body: read,
        nowMs: Date.now(),
        retryAfter,
        secrets: secretsFor(call),
      });
      return { result: err(error), status };
    }
    if (!read.ok) {
      if (read.reason === 'too-large') {
        return {
          result: err(unexpected(label, status, `a body over ${config.maxResponseBytes} bytes`)),
          status,
        };
      }
      if (overran) return { ...overdue(), status };
      return {
        result: err(classifyTransportError(label, read.error, signal?.aborted === true, secretsFor(call))),
        status,
      };
    }
    const json = parseJson(read.text);
    if (json === undefined)
      return { result: err(unexpected(label, status, 'a body that is not JSON')), status };
    const parsed = call.schema.safeParse(json.value);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error, secretsFor(call));
      return { result: err(unexpected(label, status, `a body of the wrong shape (${issues})`)), status };
    }
    return { result: ok(call.map(parsed.data, status)), status };
  }

  /** The key and every string we sent: redacted from any text that could end up in a message. */
  function secretsFor(call: CallFacts): string[] {
    return secretsOf(call.body, [apiKey]);
  }

  async function run<T, R>(
    call: Call<T, R>,
    signal: AbortSignal | undefined,
  ): Promise<Result<R, CrossmintError>> {
    const started = performance.now();
    const label = `${call.operation} (${call.method} ${call.path})`;
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    // One deadline for the call, its transport-level retry included.
    const deadlineAt = started + config.totalMs;
    let outcome = await attempt(call, label, payload, signal, deadlineAt);
    let attempts = 1;
    // The one transport-level retry: a reset before any response (typically a keep-alive socket the
    // server closed while we reused it). Every call here is idempotent, see README "Retries".
    if (outcome.reset === true && outcome.status === undefined) {
      attempts = 2;
      outcome = await attempt(call, label, payload, signal, deadlineAt);
    }
    if (debug !== undefined) report(call, started, attempts, outcome);
    return outcome.result;
  }

  function report(
    call: CallFacts,
    started: number,
    attempts: number,
    outcome: { result: Result<unknown, CrossmintError>; status?: number },
  ): void {
    const info: Parameters<NonNullable<ClientOptions['debug']>>[0] = {
      method: call.method,
      path: call.path,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      attempts,
    };
    if (outcome.status !== undefined) info.status = outcome.status;
    if (outcome.result.isErr()) info.errorKind = outcome.result.error.kind;
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
