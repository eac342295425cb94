import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Which connection carried it (1, 2, …) and how many requests that connection had carried before. */
  socket: number;
  previousOnSocket: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void | Promise<void>;

export interface TestServer {
  origin: string;
  /** `${origin}/api`, the client's base URL. */
  baseUrl: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** A loopback HTTP server that records every request (with its body) before handing it to `handler`. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const sockets = new WeakMap<Socket, { id: number; count: number }>();
  let nextSocket = 1;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let info = sockets.get(req.socket);
    if (info === undefined) {
      info = { id: nextSocket++, count: 0 };
      sockets.set(req.socket, info);
    }
    const entry: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      socket: info.id,
      previousOnSocket: info.count++,
    };
    seen.push(entry);
    try {
      await handler(req, res, entry);
    } catch {
      res.destroy();
    }
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    baseUrl: `${origin}/api`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function text(res: ServerResponse, status: number, body: string, contentType = 'text/plain'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const ELIGIBILITY = {
  eligibility: [
    { type: 'onramp', status: 'pending-review' },
    { type: 'onramp-light', status: 'pending-review' },
    { type: 'offramp', status: 'requires-data', missingData: ['kyc-data'], missingDocuments: ['id'] },
    { type: 'regulated-transfer', status: 'verified' },
  ],
};

export const USER = {
  userId: 'alice',
  userDetails: true,
  kycData: true,
  dueDiligence: false,
  verificationHistory: true,
};

export const DOCUMENT = { id: 'doc_1', documentType: 'id-passport', createdAt: '2026-01-01T00:00:00.000Z' };
