import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { SourceItem } from './source.js';

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

/**
 * Records of a CSV stream with a header row of dotted column names. csv-parse is a stream consumed
 * through its async iterator, so reading waits for the consumer (backpressure).
 */
export async function* csvRecords(stream: Readable): AsyncGenerator<SourceItem> {
  const parser = stream.pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }),
  );
  try {
    for await (const entry of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      yield { line: entry.info.lines, value: rowToRecord(entry.record) };
    }
  } catch (error) {
    const e = error as { code?: string; lines?: number; message?: string };
    // A CSV syntax error (an unclosed quote) leaves nothing reliable after it: stop there, say where.
    throw new Error(
      `the CSV is malformed${e.lines !== undefined ? ` at line ${e.lines}` : ''} (${e.code ?? 'parse error'}); fix the quoting and re-run: records before it are kept`,
    );
  }
}
