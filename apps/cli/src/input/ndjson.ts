import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { SourceItem } from './source.js';

/** Longest line accepted (a record with inline documents can be large, but not unbounded). */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

function item(line: number, text: string): SourceItem | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { line, error: { field: '(line)', reason: 'is not valid JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, error: { field: '(line)', reason: 'must be one JSON object' } };
  }
  return { line, value };
}

/**
 * Records of an NDJSON stream, one per non-blank line. Reads with the stream's own async iterator,
 * so the file is read only as fast as the consumer takes records (backpressure): memory stays flat.
 */
export async function* ndjsonRecords(stream: Readable): AsyncGenerator<SourceItem> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = pending.indexOf('\n', start); nl !== -1; nl = pending.indexOf('\n', start)) {
      line++;
      const out = item(line, pending.slice(start, nl));
      start = nl + 1;
      if (out) yield out;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE_CHARS) {
      throw new Error(`line ${line + 1} is longer than ${MAX_LINE_CHARS} characters; is this NDJSON?`);
    }
  }
  pending += decoder.end();
  if (pending.trim() !== '') {
    const out = item(line + 1, pending);
    if (out) yield out;
  }
}
