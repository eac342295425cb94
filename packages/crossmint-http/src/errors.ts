import { type CrossmintError, clip, ErrorBody, NOT_ENABLED_MESSAGE, redact } from '@kyc-handoff/core';
import type { ReadBody } from './body.js';
import { parseJson } from './body.js';
import { parseRetryAfter, type RetryAfterPolicy } from './retry-after.js';

/**
 * Crossmint's own message is the only hint an operator gets about refused data, so it is kept even
 * though it could echo what we sent: every string of the request body and the API key are redacted
 * from it first, then it is cut to this many characters.
 */
export const MAX_MESSAGE_CHARS = 300;
/** How much of a body is looked at before redaction (a message is cut to MAX_MESSAGE_CHARS after). */
const MAX_SCAN_CHARS = 4 * MAX_MESSAGE_CHARS;

export interface ResponseFacts {
  /** `upsertUser (PUT /2025-06-09/users/userId%3Au1)`: operation and path, never data. */
  label: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ReadBody;
  nowMs: number;
  retryAfter: RetryAfterPolicy;
  /** Values that must never appear in a message: the key and the request body's strings. */
  secrets: readonly string[];
}

/** What Crossmint said in an error body, made safe to print; `undefined` when it said nothing usable. */
export function crossmintMessage(
  body: ReadBody,
  contentType: string | string[] | undefined,
  secrets: readonly string[],
): { message?: string; describe: string } {
  if (!body.ok) {
    return { describe: body.reason === 'too-large' ? 'an oversized body' : 'an interrupted body' };
  }
  const text = body.text.slice(0, MAX_SCAN_CHARS);
  if (body.text.trim() === '') return { describe: 'an empty body' };
  const json = parseJson(body.text);
  if (json) {
    const parsed = ErrorBody.safeParse(json.value);
    if (!parsed.success) return { describe: 'a JSON body without a message' };
    const message = clip(redact(parsed.data.message.slice(0, MAX_SCAN_CHARS), secrets), MAX_MESSAGE_CHARS);
    return { message, describe: JSON.stringify(message) };
  }
  const type = String(Array.isArray(contentType) ? contentType[0] : (contentType ?? '')).toLowerCase();
  if (type.includes('html') || /^\s*</.test(text)) {
    return { describe: 'an HTML page (probably from a proxy or load balancer)' };
  }
  const message = clip(redact(text, secrets), MAX_MESSAGE_CHARS);
  return { message, describe: JSON.stringify(message) };
}

/** Classifies a response that is not a 2xx. */
export function classifyStatus(facts: ResponseFacts): CrossmintError {
  const { label, status } = facts;
  const said = crossmintMessage(facts.body, facts.headers['content-type'], facts.secrets);
  const with_ = `with ${said.describe}`;
  if (status >= 300 && status < 400) {
    return {
      kind: 'unexpected-response',
      status,
      message: `${label}: answered a redirect (${status}), which is not followed; check the base URL.`,
    };
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(facts.headers['retry-after'], facts.nowMs, facts.retryAfter);
    return {
      kind: 'rate-limited',
      retryAfterMs,
      message: `${label}: rate limited by Crossmint (429); retry after ${retryAfterMs} ms.`,
    };
  }
  if (
    status >= 400 &&
    status < 500 &&
    said.message?.toLowerCase().includes(NOT_ENABLED_MESSAGE.toLowerCase())
  ) {
    return {
      kind: 'not-enabled',
      message: `${label}: the Crossmint project is not enabled for the users KYC endpoints (${status}); ask Crossmint to enable it.`,
    };
  }
  if (status === 401 || status === 403) {
    return {
      kind: 'unauthorized',
      status,
      message: `${label}: Crossmint refused the API key (${status}) ${with_}; check the server key and its users.create / users.read scopes.`,
    };
  }
  if (status === 404) {
    return { kind: 'not-found', message: `${label}: not found (404) ${with_}.` };
  }
  if (status === 408) {
    return { kind: 'transient', status, message: `${label}: request timeout (408) ${with_}; retry later.` };
  }
  if (status >= 400 && status < 500) {
    return {
      kind: 'invalid-data',
      status,
      message: `${label}: Crossmint refused the request (${status}) ${with_}; correct the data before retrying.`,
    };
  }
  if (status >= 500 && status < 600) {
    return {
      kind: 'transient',
      status,
      message: `${label}: Crossmint server error (${status}) ${with_}; retry later.`,
    };
  }
  return {
    kind: 'unexpected-response',
    status,
    message: `${label}: answered an unexpected status ${status}.`,
  };
}

const TRANSPORT: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers before the timeout',
  UND_ERR_BODY_TIMEOUT: 'the response body stalled past the timeout',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset (broken pipe)',
  UND_ERR_SOCKET: 'connection closed by the other side',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CLOSED: 'the client is closed',
  UND_ERR_DESTROYED: 'the client is closed',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the response ended early',
  UND_ERR_RESPONSE: 'the response ended early',
};

/** Transport failures in which the server never answered (as opposed to an answer cut short). */
const NO_ANSWER = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** Node and undici put the interesting code on the error, its cause, or the first of an AggregateError. */
export function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (e as { errors?: unknown[] }).errors;
    e = Array.isArray(inner) && inner.length > 0 ? inner[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A reset before the response: the one case a transport-level retry is worth it. */
export function isConnectionReset(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

/** Classifies a failure with no usable response (timeouts, resets, DNS, refused, caller abort). */
export function classifyTransportError(
  label: string,
  error: unknown,
  aborted: boolean,
  secrets: readonly string[],
  /** The failure came while reading a body: the server did answer. */
  answered = false,
): CrossmintError {
  if (aborted) {
    return { kind: 'transient', message: `${label}: aborted by the caller before Crossmint answered.` };
  }
  const code = errorCode(error);
  const known = code === undefined ? undefined : TRANSPORT[code];
  if (known !== undefined) {
    const message = `${label}: ${known} (${code}); retry later.`;
    return !answered && NO_ANSWER.has(code!)
      ? { kind: 'transient', message, noAnswer: code! }
      : { kind: 'transient', message };
  }
  const name = error instanceof Error ? error.name : typeof error;
  const detail =
    error instanceof Error ? clip(redact(error.message.slice(0, MAX_SCAN_CHARS), secrets), 120) : '';
  return {
    kind: 'transient',
    message: `${label}: request failed (${code ?? name}${detail ? `: ${detail}` : ''}); retry later.`,
    ...(!answered && { noAnswer: code ?? name }),
  };
}

/** A zod failure as `path: message` pairs: names what is wrong, never the received values. */
export function describeIssues(
  error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> },
  secrets: readonly string[],
): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `${where}: ${clip(redact(issue.message, secrets), 120)}`;
  });
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}
