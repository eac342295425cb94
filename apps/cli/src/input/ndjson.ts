import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { SourceItem } from './source.js';
import { NOT_UTF8, readableUserId, utf8Issues } from './utf8.js';

/** Longest line accepted (a record with inline documents can be large, but not unbounded). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface NdjsonOptions {
  /** Longest line read as a record, in bytes; a longer one is that line's refusal. */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;

const size = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;

function tooLong(line: number, max: number): SourceItem {
  return {
    line,
    issues: [
      {
        field: '(line)',
        reason: `is longer than ${size(max)}, the most one record may hold; reference large documents by path (documents.N.path) instead of inline data`,
      },
    ],
  };
}

function parsed(line: number, text: string): SourceItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, issues: [{ field: '(line)', reason: 'is not valid JSON' }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, issues: [{ field: '(line)', reason: 'must be one JSON object' }] };
  }
  return { line, value };
}

/**
 * Invalid UTF-8 would reach Crossmint as U+FFFD: refuse the record instead, naming the fields the
 * bad bytes are in (found by decoding leniently), never their content.
 */
function notUtf8(line: number, bytes: Buffer): SourceItem {
  const lenient = parsed(line, bytes.toString('utf8'));
  if (!('value' in lenient)) return { line, issues: [{ field: '(line)', reason: NOT_UTF8 }] };
  const issues = utf8Issues(lenient.value);
  return {
    line,
    userId: readableUserId(lenient.value),
    issues: issues.length > 0 ? issues : [{ field: '(line)', reason: NOT_UTF8 }],
  };
}

function item(line: number, bytes: Buffer): SourceItem | undefined {
  if (!isUtf8(bytes)) return notUtf8(line, bytes);
  const text = bytes.toString('utf8').trim();
  return text === '' ? undefined : parsed(line, text);
}

/**
 * Records of an NDJSON stream, one per non-blank line. Reads with the stream's own async iterator,
 * so the file is read only as fast as the consumer takes records (backpressure): memory stays flat.
 * Works on bytes: each chunk is scanned once for newlines and a line's chunks are joined once, so a
 * long line costs time in proportion to its length; past the limit its bytes are only counted.
 */
export async function* ndjsonRecords(
  stream: Readable,
  options: NdjsonOptions = {},
): AsyncGenerator<SourceItem> {
  const max = options.maxLineBytes ?? MAX_LINE_BYTES;
  let parts: Buffer[] = [];
  let length = 0;
  let line = 0;
  const take = (tail: Buffer): SourceItem | undefined => {
    line++;
    const total = length + tail.length;
    const out =
      total > max
        ? tooLong(line, max)
        : item(line, parts.length === 0 ? tail : Buffer.concat([...parts, tail]));
    parts = [];
    length = 0;
    return out;
  };
  for await (const raw of stream) {
    const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const out = take(chunk.subarray(start, nl));
      start = nl + 1;
      if (out) yield out;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) continue;
    length += rest.length;
    if (length <= max) parts.push(rest);
    else parts = [];
  }
  if (length > 0) {
    const out = take(Buffer.alloc(0));
    if (out) yield out;
  }
}
