import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FieldIssue } from '@kyc-handoff/core';
import { Parser } from 'csv-parse';
import type { SourceItem } from './source.js';
import { NOT_UTF8, readableUserId } from './utf8.js';

type Tree = { [key: string]: Tree | string } | (Tree | string | undefined)[];

/**
 * A CSV row keyed by dotted column names (`kycData.addressOfResidence.city`, `documents.0.path`) as
 * the nested record: numeric segments make arrays, empty cells are absent.
 */
export function rowToRecord(row: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [column, cell] of Object.entries(row)) {
    if (cell === undefined || cell === '') continue;
    const segments = column.split('.').map((s) => s.trim());
    let node: Record<string, unknown> | unknown[] = root;
    segments.forEach((segment, i) => {
      const last = i === segments.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(segments[i + 1] ?? '');
      const key: string | number = Array.isArray(node) ? Number(segment) : segment;
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[key] = cell;
        return;
      }
      if (typeof container[key] !== 'object' || container[key] === null) {
        container[key] = nextIsIndex ? [] : {};
      }
      node = container[key] as Record<string, unknown> | unknown[];
    });
  }
  return compact(root) as Record<string, unknown>;
}

/** Drops the holes that unused columns (documents.1.* left empty) leave in arrays. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value as Tree).map(([k, v]) => [k, compact(v)]));
  }
  return value;
}

/** A header the import cannot map records from: refused before any record is read. */
class HeaderError extends Error {}

const columnName = (cell: string) =>
  cell
    .split('.')
    .map((s) => s.trim())
    .join('.');

/**
 * The header's dotted column names. A repeated column would silently keep only one of its cells, so
 * it is refused; so is a first line without userId, which is data rather than a header (and whose
 * cells must not be echoed as column names).
 */
function headerColumns(header: Buffer[]): string[] {
  const names = header.map((cell, i) => {
    if (!isUtf8(cell)) {
      throw new HeaderError(
        `column ${i + 1} of the header is not valid UTF-8: save the file as UTF-8 and re-run`,
      );
    }
    return columnName(cell.toString('utf8'));
  });
  if (!names.includes('userId')) {
    throw new HeaderError(
      'the first line is not a header of dotted column names (it has no userId column): add one (userId,privacyPolicyAcceptedAt,userDetails.firstName,…) and re-run',
    );
  }
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (name === '') continue;
    const first = seen.get(name);
    if (first !== undefined) {
      throw new HeaderError(
        `column "${name}" appears twice in the header (columns ${first + 1} and ${i + 1}): remove or rename one and re-run`,
      );
    }
    seen.set(name, i);
  }
  return names;
}

/** A row of cells as bytes (a short row lacks the last columns): its record, or which cells are not UTF-8. */
function rowItem(line: number, row: Record<string, Buffer | undefined>): SourceItem {
  const cells: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  for (const [column, bytes] of Object.entries(row)) {
    if (bytes === undefined) continue;
    if (isUtf8(bytes)) cells[column] = bytes.toString('utf8');
    else issues.push({ field: column, reason: NOT_UTF8 });
  }
  if (issues.length > 0) return { line, userId: readableUserId(cells), issues };
  return { line, value: rowToRecord(cells) };
}

/** Why parsing stopped, where, and what to do; never a cell's content (csv-parse's messages quote it). */
function malformed(error: unknown, recordStart: number): Error {
  if (error instanceof HeaderError) return new Error(error.message);
  const e = error as { code?: unknown; lines?: unknown };
  const at = typeof e.lines === 'number' ? e.lines : recordStart;
  let what: string;
  let from = at;
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      // Reported at the end of the file: everything after the quote was read as one field.
      from = recordStart;
      what = `the quote opened in the record at line ${recordStart} is never closed; close it`;
      break;
    case 'INVALID_OPENING_QUOTE':
      what = `line ${at} has a quote inside a field that does not start with one; quote the whole field and double the quotes inside it`;
      break;
    case 'CSV_INVALID_CLOSING_QUOTE':
      what = `line ${at} has characters after a field's closing quote; quote the whole field and double the quotes inside it`;
      break;
    default:
      what = `line ${at} cannot be parsed (${typeof e.code === 'string' ? e.code : 'parse error'}); fix it`;
  }
  return new Error(
    `the CSV is malformed: ${what}, then re-run the import: every record before line ${from} has been stored or reported, and a re-run skips those stored`,
  );
}

/**
 * Records of a CSV stream with a header row of dotted column names. The input is fed to csv-parse
 * one chunk at a time, each chunk's records handed out before the next is read (backpressure).
 * Records are collected as they are parsed rather than read from the parser's stream: a syntax error
 * destroys that stream, dropping the records it still buffers, and those were read correctly.
 */
export async function* csvRecords(stream: Readable): AsyncGenerator<SourceItem> {
  const ready: SourceItem[] = [];
  // csv-parse counts the line a record ends on; a record starts after the previous one and the blank
  // lines between them, which is where a user looks for it (a quoted field may span lines).
  let previousEnd = 0;
  let previousEmpty = 0;
  const startOf = (emptyLines: number) => previousEnd + 1 + (emptyLines - previousEmpty);
  const parser: Parser = new Parser({
    // Typed for string cells; with `encoding: null` they are Buffers.
    columns: (header: unknown) => {
      const names = headerColumns(header as Buffer[]);
      previousEnd = parser.info.lines;
      previousEmpty = parser.info.empty_lines;
      return names;
    },
    bom: true,
    // Cells as bytes, so invalid UTF-8 is seen rather than decoded to U+FFFD.
    encoding: null,
    skip_empty_lines: true,
    relax_column_count: true,
    on_record: (row: unknown, info) => {
      ready.push(rowItem(startOf(info.empty_lines), row as Record<string, Buffer | undefined>));
      previousEnd = info.lines;
      previousEmpty = info.empty_lines;
      return null;
    },
  });
  // Failures arrive through the write callback and `finished`; without a listener they would crash.
  parser.on('error', () => undefined);
  const write = (chunk: Buffer) =>
    new Promise<Error | null | undefined>((resolve) => parser.write(chunk, resolve));

  let failure: unknown;
  for await (const chunk of stream) {
    failure = await write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    yield* ready.splice(0);
    if (failure) break;
  }
  if (!failure) {
    parser.end();
    failure = await finished(parser, { readable: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    yield* ready.splice(0);
  }
  if (failure) {
    const empty = (failure as { empty_lines?: unknown }).empty_lines;
    throw malformed(failure, startOf(typeof empty === 'number' ? empty : previousEmpty));
  }
}
