import { getEventListeners } from 'node:events';
import type { CrossmintError } from '@kyc-handoff/core';
import { NOT_ENABLED_MESSAGE } from '@kyc-handoff/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCrossmintClient } from '../src/index.js';
import {
  closedPort,
  type Handler,
  json,
  startServer,
  type TestServer,
  text,
  USER,
} from './__test-utils__/server.js';

const KEY = 'sk_staging_errors';
const LOCATOR = 'userId:bob';
const PATH = '/2025-06-09/users/userId%3Abob';

let server: TestServer;
let respond: Handler;

beforeAll(async () => {
  server = await startServer((req, res, seen) => respond(req, res, seen));
});
afterAll(() => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

async function getUserError(
  handler: Handler,
  options: Partial<Parameters<typeof createCrossmintClient>[1]> = {},
): Promise<CrossmintError> {
  respond = handler;
  const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY, ...options });
  try {
    const result = await client.getUser(LOCATOR);
    expect(result.isErr()).toBe(true);
    return result._unsafeUnwrapErr();
  } finally {
    await client.close();
  }
}

describe('rate limits', () => {
  it('a 429 with Retry-After: 7 asks to wait 7 s', async () => {
    const e = await getUserError((_q, res) =>
      json(res, 429, { message: 'slow down' }, { 'retry-after': '7' }),
    );
    expect(e).toEqual({ kind: 'rate-limited', retryAfterMs: 7000, message: expect.stringContaining('429') });
  });

  it('a 429 with an HTTP-date Retry-After asks to wait until that date', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const e = await getUserError((_q, res) =>
      json(res, 429, { message: 'slow down' }, { 'retry-after': at }),
    );
    expect(e.kind).toBe('rate-limited');
    if (e.kind !== 'rate-limited') return;
    expect(e.retryAfterMs).toBeGreaterThan(27_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('a 429 without Retry-After (or with garbage) uses the configured default', async () => {
    const absent = await getUserError((_q, res) => text(res, 429, 'Too Many Requests'), {
      retryAfterDefaultMs: 4321,
    });
    const garbage = await getUserError((_q, res) => json(res, 429, {}, { 'retry-after': 'later' }), {
      retryAfterDefaultMs: 4321,
    });
    expect(absent).toMatchObject({ kind: 'rate-limited', retryAfterMs: 4321 });
    expect(garbage).toMatchObject({ kind: 'rate-limited', retryAfterMs: 4321 });
  });

  it('a 429 with a huge Retry-After is capped', async () => {
    const e = await getUserError((_q, res) => json(res, 429, {}, { 'retry-after': '86400' }), {
      retryAfterCapMs: 120_000,
    });
    expect(e).toMatchObject({ kind: 'rate-limited', retryAfterMs: 120_000 });
  });
});

describe('server errors and transport failures are transient', () => {
  it('an HTML 502 from a proxy is transient and the page is not quoted', async () => {
    const e = await getUserError((_q, res) =>
      text(res, 502, '<html><body><h1>502 Bad Gateway</h1>nginx</body></html>', 'text/html'),
    );
    expect(e).toMatchObject({ kind: 'transient', status: 502 });
    expect(e.message).toContain(`getUser (GET ${PATH})`);
    expect(e.message).toContain('HTML page');
    expect(e.message).not.toContain('nginx');
  });

  it('a 500 and a 503 are transient with their status', async () => {
    expect(await getUserError((_q, res) => json(res, 500, { message: 'boom' }))).toMatchObject({
      kind: 'transient',
      status: 500,
    });
    expect(await getUserError((_q, res) => text(res, 503, ''))).toMatchObject({
      kind: 'transient',
      status: 503,
    });
  });

  it('no response headers within the timeout is transient', async () => {
    const started = Date.now();
    const e = await getUserError(() => undefined, { timeouts: { headersMs: 200 } });
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(/no response headers before the timeout \(UND_ERR_HEADERS_TIMEOUT\)/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a body that stalls past the timeout is transient', async () => {
    const e = await getUserError(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"userId":');
      },
      { timeouts: { bodyMs: 200 } },
    );
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(/UND_ERR_BODY_TIMEOUT/);
    // The server answered (headers came): not a sign that the endpoint is unreachable.
    expect(e).not.toHaveProperty('noAnswer');
  });

  it('a connection the server destroys is transient, after exactly one retry', async () => {
    const e = await getUserError((req) => {
      req.socket.destroy();
    });
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    expect(server.seen).toHaveLength(2);
  });

  it('a TCP reset (RST) is transient, after exactly one retry', async () => {
    const e = await getUserError((req) => {
      req.socket.resetAndDestroy();
    });
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    expect(server.seen).toHaveLength(2);
  });

  it('a closed port (connection refused) is transient', async () => {
    const port = await closedPort();
    const client = createCrossmintClient({ baseUrl: `http://127.0.0.1:${port}/api` }, { apiKey: KEY });
    const e = (await client.getVerification(LOCATOR))._unsafeUnwrapErr();
    await client.close();
    expect(e).toMatchObject({ kind: 'transient', noAnswer: 'ECONNREFUSED' });
    expect(e.message).toMatch(/connection refused \(ECONNREFUSED\)/);
  });

  it('an unknown host (DNS failure) is transient', async () => {
    const client = createCrossmintClient({ baseUrl: 'http://no-such-host.invalid/api' }, { apiKey: KEY });
    const e = (await client.getVerification(LOCATOR))._unsafeUnwrapErr();
    await client.close();
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(/DNS lookup failed|EAI_AGAIN|ENOTFOUND/);
  });

  /** The error of a getUser its caller aborts `afterMs` after the call, the server answering with `handler`. */
  async function abortedGetUserError(handler: Handler, afterMs: number): Promise<CrossmintError> {
    respond = handler;
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const controller = new AbortController();
    const pending = client.getUser(LOCATOR, { signal: controller.signal });
    setTimeout(() => controller.abort(), afterMs);
    const e = (await pending)._unsafeUnwrapErr();
    await client.close();
    return e;
  }

  it('a call aborted by the caller is transient and says aborted', async () => {
    const e = await abortedGetUserError(() => undefined, 20);
    expect(e).toEqual({ kind: 'transient', message: expect.stringContaining('aborted by the caller') });
    expect(server.seen).toHaveLength(1);
  });

  it('a body trickled past the call deadline is cut off there: transient, and the server did answer', async () => {
    const e = await getUserError(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        // A byte every 20 ms never trips the idle body timeout; only the call's deadline ends it.
        const drip = setInterval(() => res.write(' '), 20);
        res.on('close', () => clearInterval(drip));
      },
      { timeouts: { totalMs: 300, bodyMs: 5_000 } },
    );
    expect(e).toEqual({
      kind: 'transient',
      message: expect.stringContaining('no complete answer within 300 ms'),
    });
  });

  it('a call aborted while its answer is being read says aborted', async () => {
    const e = await abortedGetUserError((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"userId":');
    }, 50);
    expect(e).toEqual({ kind: 'transient', message: expect.stringContaining('aborted by the caller') });
  });

  it('a signal already aborted sends nothing', async () => {
    respond = (_q, res) => json(res, 200, USER);
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const e = (await client.getUser(LOCATOR, { signal: AbortSignal.abort() }))._unsafeUnwrapErr();
    await client.close();
    expect(e).toEqual({ kind: 'transient', message: expect.stringContaining('aborted by the caller') });
    expect(server.seen).toHaveLength(0);
  });

  it('one abort ends every call in flight under that signal, which holds one listener, and no other call', async () => {
    respond = () => undefined;
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const controller = new AbortController();
    const calls = Array.from({ length: 20 }, () => client.getUser(LOCATOR, { signal: controller.signal }));
    await vi.waitFor(() => expect(server.seen).toHaveLength(20));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    const errors = (await Promise.all(calls)).map((r) => r._unsafeUnwrapErr().message);
    expect(errors.filter((m) => m.includes('aborted by the caller'))).toHaveLength(20);
    respond = (_q, res) => json(res, 200, USER);
    const later = await client.getUser(LOCATOR, { signal: new AbortController().signal });
    await client.close();
    expect(later.isOk()).toBe(true);
  });

  it('a closed client answers transient instead of throwing', async () => {
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    await client.close();
    const e = (await client.getUser(LOCATOR))._unsafeUnwrapErr();
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(/closed/);
  });
});

describe('responses that are not what the API promises are unexpected-response', () => {
  it('malformed JSON on a 200', async () => {
    const e = await getUserError((_q, res) => text(res, 200, '{"userId": "bob", ', 'application/json'));
    expect(e).toMatchObject({ kind: 'unexpected-response', status: 200 });
    expect(e.message).toContain('not JSON');
    expect(e.message).not.toContain('"userId"');
  });

  it('a 2xx of the wrong shape names the zod issue path, not the body', async () => {
    const e = await getUserError((_q, res) => json(res, 200, { ...USER, kycData: 'SECRET-VALUE' }));
    expect(e).toMatchObject({ kind: 'unexpected-response', status: 200 });
    expect(e.message).toContain(PATH);
    expect(e.message).toMatch(/kycData: Invalid input: expected boolean/);
    expect(e.message).not.toContain('SECRET-VALUE');
  });

  it('a body over the size limit', async () => {
    const e = await getUserError((_q, res) => json(res, 200, { ...USER, padding: 'x'.repeat(5000) }), {
      maxResponseBytes: 1024,
    });
    expect(e).toMatchObject({ kind: 'unexpected-response', status: 200 });
    expect(e.message).toMatch(/over 1024 bytes/);
  });

  it('a chunked body over the size limit (no content-length)', async () => {
    const e = await getUserError(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...USER, padding: 'x'.repeat(5000) }));
      },
      { maxResponseBytes: 1024 },
    );
    expect(e.message).toMatch(/over 1024 bytes/);
  });

  it('an informational 103 before the answer does not disturb it', async () => {
    respond = (_q, res) => {
      res.writeEarlyHints({ link: '</a.css>; rel=preload' });
      json(res, 200, USER);
    };
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const result = await client.getUser(LOCATOR);
    await client.close();
    expect(result._unsafeUnwrap()).toEqual(USER);
  });

  it('a redirect is not followed', async () => {
    const e = await getUserError((_q, res) => {
      res.writeHead(302, { location: 'https://elsewhere.example/api' });
      res.end();
    });
    expect(e).toMatchObject({ kind: 'unexpected-response', status: 302 });
    expect(e.message).toMatch(/redirect/);
    expect(server.seen).toHaveLength(1);
  });
});

describe('client errors', () => {
  it('401 is unauthorized', async () => {
    const e = await getUserError((_q, res) => json(res, 401, { error: true, message: 'Invalid API key' }));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(e.message).toContain('Invalid API key');
  });

  it('403 is unauthorized', async () => {
    const e = await getUserError((_q, res) => json(res, 403, { message: 'missing scope users.read' }));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 403 });
  });

  it('403 saying the project is not configured is not-enabled', async () => {
    const e = await getUserError((_q, res) => json(res, 403, { error: true, message: NOT_ENABLED_MESSAGE }));
    expect(e.kind).toBe('not-enabled');
    expect(e.message).toMatch(/not enabled/);
  });

  it('the not-enabled message is recognised in plain text too', async () => {
    const e = await getUserError((_q, res) => text(res, 401, `Error: ${NOT_ENABLED_MESSAGE}.`));
    expect(e.kind).toBe('not-enabled');
  });

  it('404 is not-found', async () => {
    const e = await getUserError((_q, res) => json(res, 404, { message: 'User not found' }));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain(PATH);
  });

  it('400 is invalid-data with Crossmint’s message', async () => {
    const e = await getUserError((_q, res) =>
      json(res, 400, { error: true, message: 'kycData.email must be an email', code: 'bad' }),
    );
    expect(e).toMatchObject({ kind: 'invalid-data', status: 400 });
    expect(e.message).toContain('kycData.email must be an email');
  });

  it('422 is invalid-data, with a plain-text message and a long message cut to 300 chars', async () => {
    const plain = await getUserError((_q, res) => text(res, 422, 'dateOfBirth\n is in the future'));
    expect(plain).toMatchObject({ kind: 'invalid-data', status: 422 });
    expect(plain.message).toContain('dateOfBirth is in the future');
    const long = await getUserError((_q, res) => json(res, 422, { message: 'y'.repeat(5000) }));
    expect(long.message).toContain(`${'y'.repeat(299)}…`);
    expect(long.message).not.toContain('y'.repeat(300));
  });

  it('other 4xx are invalid-data; a JSON error without message still classifies', async () => {
    expect(await getUserError((_q, res) => json(res, 409, { nope: 1 }))).toMatchObject({
      kind: 'invalid-data',
      status: 409,
    });
  });

  it('408 is transient', async () => {
    expect(await getUserError((_q, res) => text(res, 408, ''))).toMatchObject({
      kind: 'transient',
      status: 408,
    });
  });

  it('error bodies are consumed so the connection is reused', async () => {
    respond = (_q, res) => json(res, 400, { message: 'no' });
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY, connections: 1 });
    for (let i = 0; i < 3; i++) await client.getUser(LOCATOR);
    await client.close();
    expect(new Set(server.seen.map((s) => s.socket)).size).toBe(1);
  });
});
