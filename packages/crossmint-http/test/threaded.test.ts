// The client on a worker thread answers exactly as the client in the caller's thread, and its thread
// never loses a call, never keeps a finished process alive and never takes other calls down with one.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CrossmintError, UserUpsertRequest } from '@kyc-handoff/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCrossmintClient, createThreadedCrossmintClient } from '../src/index.js';
import { workerOf } from '../src/threaded.js';
import {
  closedPort,
  type Handler,
  json,
  startServer,
  type TestServer,
  text,
  USER,
} from './__test-utils__/server.js';

const KEY = 'sk_staging_threaded_0001';
const SSN = '987-65-4320';
const RECORD: UserUpsertRequest = {
  userDetails: { firstName: 'Tess', lastName: 'Thread', dateOfBirth: '1985-05-06', countryOfResidence: 'US' },
  kycData: {
    email: 'tess@example.invalid',
    identityDocument: { type: 'ssn', number: SSN, issuingCountryCode: 'US' },
  },
};

const ANSWERS: Record<string, Handler> = {
  '404': (_req, res) => json(res, 404, { message: 'no such user' }),
  '429 with Retry-After': (_req, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '7' }),
  '500': (_req, res) => json(res, 500, { message: 'boom' }),
  '200 not JSON': (_req, res) => text(res, 200, '{"userId": ', 'application/json'),
  '200 wrong shape': (_req, res) => json(res, 200, { userId: 42 }),
};

/** Until a request reaches the server: the worker thread may take seconds to start on a busy machine. */
const UNTIL_SENT = { timeout: 5_000, interval: 5 };

let server: TestServer;
let respond: Handler;
beforeAll(async () => {
  server = await startServer((req, res, seen) => respond(req, res, seen));
});
afterAll(() => server.close());

describe('createThreadedCrossmintClient', () => {
  it('gives the same error as the client in the caller thread, for every kind of answer', async () => {
    const plain = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const threaded = createThreadedCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    for (const [name, handler] of Object.entries(ANSWERS)) {
      respond = handler;
      const expected = (await plain.upsertUser('userId:tess', RECORD))._unsafeUnwrapErr();
      const got = (await threaded.upsertUser('userId:tess', RECORD))._unsafeUnwrapErr();
      expect(got, name).toEqual(expected);
    }
    const refusedAt = { baseUrl: `http://127.0.0.1:${await closedPort()}/api` };
    const refused = [
      createCrossmintClient(refusedAt, { apiKey: KEY }),
      createThreadedCrossmintClient(refusedAt, { apiKey: KEY }),
    ];
    const [expected, got] = await Promise.all(
      refused.map(async (c) => (await c.getUser('userId:tess'))._unsafeUnwrapErr()),
    );
    expect(got).toEqual(expected);
    expect(got).toMatchObject({ kind: 'transient', noAnswer: 'ECONNREFUSED' });
    await Promise.all([plain.close(), threaded.close(), ...refused.map((c) => c.close())]);
  });

  it('a signal aborted before the call sends nothing; one aborted during the call cuts it off', async () => {
    const threaded = createThreadedCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    respond = () => undefined; // hangs
    const before = server.seen.length;
    const aborted = new AbortController();
    aborted.abort();
    const early = (await threaded.getUser('userId:tess', { signal: aborted.signal }))._unsafeUnwrapErr();
    expect(early).toEqual({ kind: 'transient', message: expect.stringContaining('aborted by the caller') });
    expect(server.seen.length).toBe(before);

    const during = new AbortController();
    const pending = threaded.getUser('userId:tess', { signal: during.signal });
    await vi.waitFor(() => expect(server.seen.length).toBeGreaterThan(before), UNTIL_SENT);
    during.abort();
    expect((await pending)._unsafeUnwrapErr()).toEqual({
      kind: 'transient',
      message: expect.stringContaining('aborted by the caller'),
    });
    await threaded.close();
  });

  it('a worker that dies answers its calls in flight as transient, and the next call gets a new one', async () => {
    const threaded = createThreadedCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    respond = () => undefined; // hangs
    const before = server.seen.length;
    const inFlight = threaded.upsertUser('userId:tess', RECORD);
    await vi.waitFor(() => expect(server.seen.length).toBeGreaterThan(before), UNTIL_SENT);
    await workerOf.get(threaded)?.()?.terminate();
    const lost: CrossmintError = (await inFlight)._unsafeUnwrapErr();
    expect(lost).toEqual({
      kind: 'transient',
      noAnswer: 'EWORKER',
      message: "upsertUser: the client's HTTP thread exited with code 1 before the answer came; retry later.",
    });
    expect(JSON.stringify(lost)).not.toContain(SSN);

    respond = (_req, res) => json(res, 200, USER);
    expect((await threaded.getUser('userId:tess'))._unsafeUnwrap()).toEqual(USER);
    await threaded.close();
  });

  it('a call whose arguments cannot be copied or used fails alone; the calls sent with it are answered', async () => {
    const threaded = createThreadedCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    respond = (_req, res) => json(res, 200, USER);
    const careless = { ...RECORD, toJSON: () => RECORD } as unknown as UserUpsertRequest;
    const [good, bad, alsoGood] = await Promise.all([
      threaded.getUser('userId:a'),
      threaded.upsertUser('userId:b', careless),
      threaded.getUser('userId:c'),
    ]);
    expect(good._unsafeUnwrap()).toEqual(USER);
    expect(alsoGood._unsafeUnwrap()).toEqual(USER);
    expect(bad._unsafeUnwrapErr()).toEqual({
      kind: 'unexpected-response',
      message: 'upsertUser: its arguments are not plain data (JSON-like values only); nothing was sent.',
    });
    // The in-thread client throws on an empty locator (a programmer error); on the worker thread the
    // throw would end the thread and every call in flight on it, so the call fails alone instead.
    expect(() => createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY }).getUser('')).toThrow(
      TypeError,
    );
    const [empty, fine] = await Promise.all([threaded.getUser(''), threaded.getUser('userId:d')]);
    expect(empty._unsafeUnwrapErr()).toEqual({
      kind: 'unexpected-response',
      message: 'getUser: its arguments are not what the client takes; nothing was sent.',
    });
    expect(fine._unsafeUnwrap()).toEqual(USER);
    await threaded.close();
  });

  it('close waits for the calls in flight; a call after close is refused without a request', async () => {
    const threaded = createThreadedCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    let release: (() => void) | undefined;
    respond = (_req, res) => {
      release = () => json(res, 200, USER);
    };
    const before = server.seen.length;
    const inFlight = threaded.getUser('userId:tess');
    await vi.waitFor(() => expect(release).toBeDefined(), UNTIL_SENT);
    const closed = threaded.close();
    release?.();
    expect((await inFlight)._unsafeUnwrap()).toEqual(USER);
    await closed;
    const after = (await threaded.getUser('userId:tess'))._unsafeUnwrapErr();
    expect(after).toEqual({
      kind: 'transient',
      noAnswer: 'ECLOSED',
      message: 'getUser: the client is closed; open a new one.',
    });
    expect(server.seen.length).toBe(before + 1);
  });

  it('an idle client does not keep a finished process alive (no close needed to exit)', () => {
    const source = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = `
      import { createServer } from 'node:http';
      import { createThreadedCrossmintClient } from ${JSON.stringify(source)};
      const server = createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }); res.end(JSON.stringify(${JSON.stringify(USER)})); });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const client = createThreadedCrossmintClient({ baseUrl: 'http://127.0.0.1:' + server.address().port + '/api' }, { apiKey: ${JSON.stringify(KEY)} });
      const result = await client.getUser('userId:tess');
      server.close();
      console.log(result.isOk() ? 'answered' : 'failed');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.error, 'the process did not exit within 30 s').toBeUndefined();
    expect(child.stdout.trim()).toBe('answered');
    expect(child.status).toBe(0);
  });
});
