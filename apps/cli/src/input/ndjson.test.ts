import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ndjsonRecords } from './ndjson.js';
import type { SourceItem } from './source.js';

/** The stream a file would give, cut into the chunks given (so lines and characters span chunks). */
const chunks = (...parts: (string | Buffer)[]) =>
  Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

async function read(stream: Readable, maxLineBytes?: number): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of ndjsonRecords(stream, maxLineBytes === undefined ? {} : { maxLineBytes })) {
    out.push(item);
  }
  return out;
}

const CANARY = 'Quillonia';

describe('ndjsonRecords', () => {
  it('reads records whose lines and multi-byte characters are split across chunks', async () => {
    const line = Buffer.from('{"userId":"u-1","name":"Zoë"}\n');
    const at = line.indexOf(0xc3) + 1; // between the two bytes of ë
    const items = await read(
      chunks(line.subarray(0, 5), line.subarray(5, at), line.subarray(at), '\n{"userId":"u-2"}'),
    );
    expect(items).toEqual([
      { line: 1, value: { userId: 'u-1', name: 'Zoë' } },
      { line: 3, value: { userId: 'u-2' } },
    ]);
  });

  it('a line over the limit is refused on its own line number and the lines after it are read', async () => {
    const long = `{"userId":"u-2","firstName":"${CANARY}${'Q'.repeat(200)}"}`;
    const items = await read(
      chunks(
        '{"userId":"u-1"}\n',
        long.slice(0, 90),
        long.slice(90, 150),
        `${long.slice(150)}\n{"userId":"u-3"}\n`,
      ),
      100,
    );
    expect(items).toEqual([
      { line: 1, value: { userId: 'u-1' } },
      { line: 2, issues: [{ field: '(line)', reason: expect.stringMatching(/^is longer than 100 bytes/) }] },
      { line: 3, value: { userId: 'u-3' } },
    ]);
    expect(JSON.stringify(items)).not.toContain(CANARY);
  });

  it('a last line over the limit without a newline is refused too', async () => {
    const items = await read(chunks('{"userId":"u-1"}\n', 'x'.repeat(60), 'x'.repeat(60)), 100);
    expect(items).toMatchObject([
      { line: 1, value: { userId: 'u-1' } },
      { line: 2, issues: [{ field: '(line)', reason: expect.stringMatching(/^is longer than 100 bytes/) }] },
    ]);
  });

  it('a line exactly at the limit is read', async () => {
    const line = `{"userId":"u-1","pad":"${'p'.repeat(100 - 25)}"}`;
    expect(Buffer.byteLength(line)).toBe(100);
    expect(await read(chunks(`${line}\n`), 100)).toMatchObject([{ line: 1, value: { userId: 'u-1' } }]);
  });

  it('invalid UTF-8 names the fields holding it and the user, never the value', async () => {
    const bad = Buffer.concat([
      Buffer.from(`{"userId":"u-2","userDetails":{"firstName":"${CANARY}`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"},"kycData":{"addressOfResidence":{"city":"M'),
      Buffer.from([0xc3]),
      Buffer.from('"}},"documents":[{"path":"a'),
      Buffer.from([0x80]),
      Buffer.from('"}]}\n'),
    ]);
    const items = await read(chunks('{"userId":"u-1"}\n', bad, '{"userId":"u-3"}\n'));
    expect(items).toEqual([
      { line: 1, value: { userId: 'u-1' } },
      {
        line: 2,
        userId: 'u-2',
        issues: [
          { field: 'userDetails.firstName', reason: 'is not valid UTF-8' },
          { field: 'kycData.addressOfResidence.city', reason: 'is not valid UTF-8' },
          { field: 'documents.0.path', reason: 'is not valid UTF-8' },
        ],
      },
      { line: 3, value: { userId: 'u-3' } },
    ]);
    expect(JSON.stringify(items)).not.toContain(CANARY);
  });

  it('a genuine U+FFFD is a character like any other', async () => {
    expect(await read(chunks('{"userId":"u-1","note":"\uFFFD"}\n'))).toEqual([
      { line: 1, value: { userId: 'u-1', note: '\uFFFD' } },
    ]);
  });

  it('invalid UTF-8 outside any string is an error on the line', async () => {
    const items = await read(chunks(Buffer.from([0x7b, 0xff, 0x7d, 0x0a])));
    expect(items).toEqual([
      { line: 1, userId: undefined, issues: [{ field: '(line)', reason: 'is not valid UTF-8' }] },
    ]);
  });

  it('invalid UTF-8 in a field name is reported on the object holding it', async () => {
    const line = Buffer.concat([
      Buffer.from('{"userId":"u-1","userDetails":{"first'),
      Buffer.from([0xff]),
      Buffer.from('":"x"}}\n'),
    ]);
    expect(await read(chunks(line))).toEqual([
      {
        line: 1,
        userId: 'u-1',
        issues: [{ field: 'userDetails', reason: 'has a field name that is not valid UTF-8' }],
      },
    ]);
  });

  it('blank lines count but yield nothing; a line that is not one JSON object is refused', async () => {
    expect(await read(chunks('\n  \r\n[1]\n{nope\n{"userId":"u-5"}\r\n'))).toEqual([
      { line: 3, issues: [{ field: '(line)', reason: 'must be one JSON object' }] },
      { line: 4, issues: [{ field: '(line)', reason: 'is not valid JSON' }] },
      { line: 5, value: { userId: 'u-5' } },
    ]);
  });
});
