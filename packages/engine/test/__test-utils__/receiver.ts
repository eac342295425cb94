import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export const SECRET = `whsec_${Buffer.from('kyc-handoff test receiver secret!').toString('base64')}`;

export interface Received {
  id: string;
  type: string;
  userId: string;
  seq: number;
  /** Whether `standardwebhooks` verified the request's signature. */
  verified: boolean;
  status: number;
  /** Another request with the same webhook-id was being answered at the same time. */
  overlapped: boolean;
  body: string;
}

/**
 * A webhook receiver on loopback that checks every request with the `standardwebhooks` package's
 * own verify, and answers what `answer` says (a status, or `hold` to keep the request open).
 */
export async function startReceiver(
  answer: (n: number, id: string) => number | 'hold' = () => 204,
): Promise<{ url: string; received: Received[]; held: (() => void)[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const held: (() => void)[] = [];
  const inFlight = new Set<string>();
  const verifier = new Webhook(SECRET);
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers as IncomingHttpHeaders & Record<string, string>;
      let verified = false;
      try {
        verifier.verify(body, {
          'webhook-id': headers['webhook-id'] ?? '',
          'webhook-timestamp': headers['webhook-timestamp'] ?? '',
          'webhook-signature': headers['webhook-signature'] ?? '',
        });
        verified = true;
      } catch {
        verified = false;
      }
      const id = String(headers['webhook-id']);
      const overlapped = inFlight.has(id);
      inFlight.add(id);
      const parsed = JSON.parse(body) as { type: string; data: { userId: string; seq: number } };
      const status = answer(n++, id);
      const entry: Received = {
        id,
        type: parsed.type,
        userId: parsed.data.userId,
        seq: parsed.data.seq,
        verified,
        status: status === 'hold' ? 0 : status,
        overlapped,
        body,
      };
      received.push(entry);
      const reply = (code: number) => {
        inFlight.delete(id);
        res.writeHead(code).end();
      };
      if (status === 'hold') held.push(() => reply(204));
      else reply(status);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Per user, the seqs in the order they first arrived: in order means each list is increasing. */
export function firstArrivals(received: readonly Received[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byUser = new Map<string, number[]>();
  for (const r of received) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r.seq]);
  }
  return byUser;
}
