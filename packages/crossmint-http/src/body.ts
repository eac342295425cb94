import type { Dispatcher } from 'undici';

export type ReadBody =
  | { ok: true; text: string }
  | { ok: false; reason: 'too-large' | 'interrupted'; error?: unknown };

/**
 * Reads a response body up to `limit` bytes when its Content-Length does not settle the matter (absent,
 * repeated, or over the limit); the client reads a body of a declared length within the limit itself,
 * without this extra await. Always leaves the body consumed or destroyed, so that undici can hand the
 * socket to the next request (consumed) or drop it (destroyed).
 */
export async function readBody(
  body: Dispatcher.ResponseData['body'],
  contentLength: string | string[] | undefined,
  limit: number,
): Promise<ReadBody> {
  const declared = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN;
  if (declared > limit) {
    discard(body);
    return { ok: false, reason: 'too-large' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        discard(body);
        return { ok: false, reason: 'too-large' };
      }
      chunks.push(chunk);
    }
  } catch (error) {
    discard(body);
    return { ok: false, reason: 'interrupted', error };
  }
  const text =
    chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
  return { ok: true, text };
}

/** JSON.parse without throwing: `undefined` when the text is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Destroys a body we will not read; the error it emits on destroy has nobody to tell. */
export function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}
