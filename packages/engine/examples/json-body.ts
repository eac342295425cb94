// The JSON request and response handling both examples share (node:http only): copy it beside them.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type JsonBody = { value: unknown } | { status: 400 | 413; error: string };

/**
 * The request body parsed as JSON, or the status to refuse it with: 413 when it is over `maxBytes`
 * (the rest is read and dropped, never held), 400 when it is not JSON or the client hung up.
 */
export function readJson(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  const tooLarge = { status: 413, error: `the body is over ${maxBytes} bytes` } as const;
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve(tooLarge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('error', () => resolve({ status: 400, error: 'the body was cut off' }));
    req.on('end', () => {
      if (size > maxBytes) return resolve(tooLarge);
      try {
        resolve({ value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch {
        resolve({ status: 400, error: 'the body is not JSON' });
      }
    });
  });
}

export function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
