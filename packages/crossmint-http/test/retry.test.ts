import { afterEach, describe, expect, it } from 'vitest';
import { createCrossmintClient } from '../src/index.js';
import { ELIGIBILITY, json, startServer, type TestServer } from './__test-utils__/server.js';

const KEY = 'sk_staging_retry';
let server: TestServer | undefined;
afterEach(() => server?.close());

describe('the one transport-level retry', () => {
  it('a reset of a reused keep-alive socket before any response is retried once, and succeeds', async () => {
    let resets = 0;
    server = await startServer((req, res, seen) => {
      if (seen.previousOnSocket > 0 && resets === 0) {
        resets++;
        req.socket.destroy();
        return;
      }
      json(res, 200, ELIGIBILITY);
    });
    const lines: { attempts: number }[] = [];
    const client = createCrossmintClient(
      { baseUrl: server.baseUrl },
      { apiKey: KEY, connections: 1, debug: (i) => lines.push(i) },
    );
    expect((await client.getVerification('userId:r')).isOk()).toBe(true);
    const warm = server.seen.length;
    const result = await client.getVerification('userId:r');
    await client.close();

    expect(result._unsafeUnwrap()).toEqual(ELIGIBILITY);
    const requests = server.seen.slice(warm);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.previousOnSocket).toBe(1); // sent over the reused socket, reset
    expect(requests[1]?.previousOnSocket).toBe(0); // retried on a fresh connection
    expect(lines.map((l) => l.attempts)).toEqual([1, 2]);
  });

  it('a write is retried the same way, with the same body', async () => {
    server = await startServer((req, res, seen) => {
      if (server?.seen.length === 1) {
        req.socket.resetAndDestroy();
        return;
      }
      json(res, 200, { acceptedAt: JSON.parse(seen.body).acceptedAt });
    });
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const body = { type: 'crossmint-privacy-policy' as const, acceptedAt: '2026-01-01T00:00:00.000Z' };
    const result = await client.recordLegalDocument('userId:r', body);
    await client.close();
    expect(result.isOk()).toBe(true);
    expect(server.seen.map((s) => s.body)).toEqual([JSON.stringify(body), JSON.stringify(body)]);
  });

  it('a server that always resets gives transient after exactly 2 attempts, not more', async () => {
    server = await startServer((req) => {
      req.socket.destroy();
    });
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const result = await client.upsertUser('userId:r', {});
    await client.close();
    expect(result._unsafeUnwrapErr().kind).toBe('transient');
    expect(server.seen).toHaveLength(2);
  });

  it('a 5xx is never retried by the client (the machine decides)', async () => {
    server = await startServer((_req, res) => json(res, 503, { message: 'busy' }));
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const result = await client.getUser('userId:r');
    await client.close();
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'transient', status: 503 });
    expect(server.seen).toHaveLength(1);
  });

  it('a reset after the response headers is not retried', async () => {
    server = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"eligibility":', () => req.socket.destroy());
    });
    const client = createCrossmintClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
    const result = await client.getVerification('userId:r');
    await client.close();
    expect(result._unsafeUnwrapErr().kind).toBe('transient');
    expect(server.seen).toHaveLength(1);
  });
});
