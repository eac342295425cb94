import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvRecords } from './csv.js';
import type { SourceItem } from './source.js';

const chunks = (...parts: (string | Buffer)[]) =>
  Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

/** What a reader gets before it stops, and why it stopped. */
async function read(stream: Readable): Promise<{ items: SourceItem[]; error?: Error }> {
  const items: SourceItem[] = [];
  try {
    for await (const item of csvRecords(stream)) items.push(item);
    return { items };
  } catch (error) {
    return { items, error: error as Error };
  }
}

const CANARY = 'Quillonia';
const HEADER = 'userId,userDetails.firstName,kycData.email\n';

describe('csvRecords', () => {
  it('hands out every record before an unclosed quote, then stops naming the line it opened on', async () => {
    const good = Array.from({ length: 3 }, (_, i) => `u-${i + 1},${CANARY},a@example.invalid\n`).join('');
    const { items, error } = await read(
      chunks(`${HEADER}${good}\nu-4,"${CANARY},a@example.invalid\nu-5,Bo,b@example.invalid\n`),
    );
    expect(items.map((i) => i.line)).toEqual([2, 3, 4]);
    expect(error?.message).toMatch(/the quote opened in the record at line 6 is never closed/);
    expect(error?.message).toMatch(/re-run the import/);
    expect(error?.message).not.toContain(CANARY);
  });

  it('a quote in the middle of a field stops at its line without quoting the cell', async () => {
    const { items, error } = await read(
      chunks(`${HEADER}u-1,Al,a@x.invalid\nu-2,Al "${CANARY}" B,b@x.invalid\n`),
    );
    expect(items.map((i) => i.line)).toEqual([2]);
    expect(error?.message).toMatch(/line 3 has a quote inside a field/);
    expect(error?.message).not.toContain(CANARY);
  });

  it('refuses a header that repeats a column, before any record', async () => {
    const { items, error } = await read(
      chunks(
        'userId,a,b,c,d,e,kycData.email,f,g,h,i,kycData. email\n',
        `u-1,1,2,3,4,5,${CANARY}@x.invalid,6,7,8,9,${CANARY}@y.invalid\n`,
      ),
    );
    expect(items).toEqual([]);
    expect(error?.message).toBe(
      'column "kycData.email" appears twice in the header (columns 7 and 12): remove or rename one and re-run',
    );
  });

  it('refuses a first line without userId as not a header, without echoing its cells', async () => {
    const { items, error } = await read(chunks(`u-1,${CANARY},${CANARY}\nu-2,x,y\n`));
    expect(items).toEqual([]);
    expect(error?.message).toMatch(/is not a header.*no userId column/);
    expect(error?.message).not.toContain(CANARY);
  });

  it('a cell that is not UTF-8 refuses its record, naming the column and user; the rows around it are read', async () => {
    const bad = Buffer.concat([
      Buffer.from(`u-2,${CANARY}`),
      Buffer.from([0xff]),
      Buffer.from(',a@x.invalid\n'),
    ]);
    const { items, error } = await read(chunks(HEADER, 'u-1,Al,a@x.invalid\n', bad, 'u-3,Cy,c@x.invalid\n'));
    expect(error).toBeUndefined();
    expect(items).toEqual([
      {
        line: 2,
        value: { userId: 'u-1', userDetails: { firstName: 'Al' }, kycData: { email: 'a@x.invalid' } },
      },
      { line: 3, userId: 'u-2', issues: [{ field: 'userDetails.firstName', reason: 'is not valid UTF-8' }] },
      {
        line: 4,
        value: { userId: 'u-3', userDetails: { firstName: 'Cy' }, kycData: { email: 'c@x.invalid' } },
      },
    ]);
  });

  it('numbers a record by the line it starts on, past blank lines and quoted line breaks', async () => {
    const { items } = await read(chunks(`${HEADER}\nu-1,"Al\nice",a@x.invalid\n\n\nu-2,Bo,b@x.invalid`));
    expect(items.map((i) => i.line)).toEqual([3, 7]);
    expect(items[0]).toMatchObject({ value: { userDetails: { firstName: 'Al\nice' } } });
  });
});
