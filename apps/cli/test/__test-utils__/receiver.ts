import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** The parts of a webhook body these tests look at. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: { id: string; seq: number; userId: string; type: string };
}

/** One request the receiver got, and what Standard Webhooks' own verify made of it. */
export interface Received {
  id: string;
  headers: Record<string, string>;
  body: string;
  /** The verified payload, or undefined when verify threw (then `error` says why). */
  payload?: {
    type: string;
    timestamp: string;
    data: { id: string; seq: number; userId: string; type: string };
  };
  error?: string;
  /** The status the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  secret: string;
  received: Received[];
  /** Requests answered 2xx, in arrival order. */
  acknowledged(): Received[];
  close(): Promise<void>;
}

export const webhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

const flat = (h: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));

/**
 * A platform's webhook receiver on loopback: verifies every request with the standardwebhooks
 * package (`new Webhook(secret).verify(body, headers)`), records it, and answers `answer(n)` for
 * the n-th request (1-based; 200 unless told).
 */
export async function startReceiver(answer: (n: number) => number = () => 200): Promise<Receiver> {
  const secret = webhookSecret();
  const verifier = new Webhook(secret);
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = flat(req.headers);
      const status = answer(received.length + 1);
      const entry: Received = { id: headers['webhook-id'] ?? '', headers, body, status };
      try {
        entry.payload = verifier.verify(body, headers) as WebhookPayload;
      } catch (error) {
        entry.error = (error as Error).message;
      }
      received.push(entry);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/kyc`,
    secret,
    received,
    acknowledged: () => received.filter((r) => r.status >= 200 && r.status < 300),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
