// The HTTP client against servers that misbehave on purpose: it must end every call in bounded
// time and memory, with a classified error.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { afterEach, describe, expect, it } from 'vitest';

const KEY = 'sk_staging_hostile_server_0001';
let server: Server | undefined;
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return createCrossmintClient(
    { baseUrl: `http://127.0.0.1:${port}/api` },
    { apiKey: KEY, timeouts: { connectMs: 1_000, headersMs: 1_000, bodyMs: 1_000, totalMs: 2_000 } },
  );
}

/** Runs the call, failing the test if it takes longer than `ms`. */
async function within<T>(ms: number, call: PromiseLike<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const value = await Promise.race([
    call,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the call was still running after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
  return { value, elapsedMs: performance.now() - started };
}

describe('the crossmint-http client facing hostile responses', () => {
  // bodyMs is only the longest silence between chunks; the per-call deadline (totalMs) ends a
  // body that keeps trickling.
  it('a body that never stops (a byte per 100 ms) is cut off in bounded time', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"eligibility":[');
      timers.push(setInterval(() => res.write(' '), 100));
    });
    const { value } = await within(3_000, client.getVerification('userId:slow'));
    expect(value.isErr()).toBe(true);
    expect(value._unsafeUnwrapErr().kind).toMatch(/transient|unexpected-response/);
    await client.close();
  });

  it('a slow-loris that stalls longer than bodyMs is cut off as transient', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"eligibility":[');
      // then silence
    });
    const { value, elapsedMs } = await within(5_000, client.getVerification('userId:stall'));
    expect(value._unsafeUnwrapErr().kind).toBe('transient');
    expect(elapsedMs).toBeLessThan(3_000);
    await client.close();
  });

  it('a 50 MB body is abandoned at the body cap without the process growing by 50 MB', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const pump = () => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => {
        sent = Number.POSITIVE_INFINITY;
      });
      pump();
    });
    const before = process.memoryUsage().rss;
    const { value } = await within(10_000, client.getVerification('userId:huge'));
    const grown = process.memoryUsage().rss - before;
    expect(value._unsafeUnwrapErr().kind).toBe('unexpected-response');
    expect(value._unsafeUnwrapErr().message).toMatch(/over \d+ bytes/);
    expect(grown).toBeLessThan(30 * 1024 * 1024);
    await client.close();
  });

  it('a declared Content-Length of 50 MB is refused before reading', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{');
    });
    const { value } = await within(5_000, client.getVerification('userId:declared'));
    expect(value._unsafeUnwrapErr().kind).toBe('unexpected-response');
    await client.close();
  });

  it('invalid UTF-8 bytes in a 200 body are an unexpected response, not a crash', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]));
    });
    const { value } = await within(5_000, client.getVerification('userId:utf8'));
    expect(value._unsafeUnwrapErr().kind).toBe('unexpected-response');
    await client.close();
  });

  it('an HTML page with 200 is an unexpected response; with 503 it is transient', async () => {
    let status = 200;
    const client = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    });
    const ok = await within(5_000, client.getVerification('userId:html'));
    expect(ok.value._unsafeUnwrapErr().kind).toBe('unexpected-response');
    status = 503;
    const unavailable = await within(5_000, client.getVerification('userId:html'));
    expect(unavailable.value._unsafeUnwrapErr().kind).toBe('transient');
    await client.close();
  });

  it('JSON of the wrong shape with a text/plain content type is an unexpected response', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('{"status":"verified"}');
    });
    const { value } = await within(5_000, client.getVerification('userId:shape'));
    expect(value._unsafeUnwrapErr().kind).toBe('unexpected-response');
    await client.close();
  });

  it('a redirect is not followed: unexpected response naming the redirect', async () => {
    let hits = 0;
    const client = await serve((_req, res) => {
      hits++;
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    });
    const { value } = await within(5_000, client.getVerification('userId:redirect'));
    expect(value._unsafeUnwrapErr().kind).toBe('unexpected-response');
    expect(value._unsafeUnwrapErr().message).toMatch(/redirect/);
    expect(hits).toBe(1);
    await client.close();
  });
});
