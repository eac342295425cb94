import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordDocument } from '@kyc-handoff/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ByteBudget, createDocumentReader, DocumentRefusedError } from './documents.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');
const JPEG = Buffer.from('ffd8ffe000104a464946000101', 'hex');
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
/** A file name carrying a person's name: no refusal may echo it. */
const NAMED = 'Maria-Canary-Lopez';

let dir: string;
let root: string;
let outside: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kyc-docs-'));
  root = join(dir, 'root');
  outside = join(dir, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const doc = (path: string, documentType: RecordDocument['documentType'] = 'id-passport'): RecordDocument => ({
  documentType,
  path,
});

async function refusal(path: string, options: { root?: string } = {}): Promise<DocumentRefusedError> {
  const reader = createDocumentReader({ root: options.root ?? root });
  const checked = await reader.check(doc(path));
  const read = await reader.read(doc(path)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(checked, `check(${path})`).toBeInstanceOf(DocumentRefusedError);
  expect(read, `read(${path})`).toBeInstanceOf(DocumentRefusedError);
  expect((read as Error).message).toBe(checked!.message);
  expect(checked!.message).not.toContain(NAMED);
  expect(checked!.message).not.toContain(dir);
  return checked!;
}

describe('createDocumentReader: files only from inside the documents root', () => {
  it('reads a PNG inside the root as a data URL, and a symlink to a file inside the root too', async () => {
    writeFileSync(join(root, `${NAMED}.png`), PNG);
    symlinkSync(join(root, `${NAMED}.png`), join(root, 'link.png'));
    const reader = createDocumentReader({ root });
    for (const path of [`${NAMED}.png`, 'link.png', join(root, `${NAMED}.png`)]) {
      expect(await reader.check(doc(path))).toBeUndefined();
      const held = await reader.read(doc(path));
      expect(held.data).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
      held.release();
    }
  });

  it('refuses an absolute path outside the root, naming the document type and the rule, never the path', async () => {
    writeFileSync(join(outside, `${NAMED}.png`), PNG);
    const e = await refusal(join(outside, `${NAMED}.png`));
    expect(e.message).toBe(
      'id-passport: the file is outside the documents folder (absolute paths, ../ and symlinks must stay inside it)',
    );
  });

  it('refuses a path that climbs out with ../', async () => {
    writeFileSync(join(outside, `${NAMED}.png`), PNG);
    expect((await refusal(`../outside/${NAMED}.png`)).rule).toMatch(/outside the documents folder/);
    expect((await refusal(`sub/../../outside/${NAMED}.png`)).rule).toMatch(/outside the documents folder/);
  });

  it('refuses a symlink to /etc/passwd, and a symlinked folder that leads outside', async () => {
    symlinkSync('/etc/passwd', join(root, `${NAMED}.png`));
    expect((await refusal(`${NAMED}.png`)).rule).toMatch(/outside the documents folder/);
    writeFileSync(join(outside, 'id.png'), PNG);
    symlinkSync(outside, join(root, 'escape'));
    expect((await refusal('escape/id.png')).rule).toMatch(/outside the documents folder/);
  });

  it('refuses a file that does not exist', async () => {
    expect((await refusal(`${NAMED}.png`)).rule).toBe('the file does not exist in the documents folder');
  });
});

describe('createDocumentReader: size, kind and content', () => {
  it("refuses a file over Crossmint's 10 MB limit from its size alone (a sparse 11 MB file)", async () => {
    const path = join(root, 'big.png');
    writeFileSync(path, PNG);
    truncateSync(path, 11 * 1024 * 1024);
    expect((await refusal('big.png')).rule).toBe("the file is larger than 10 MB, Crossmint's limit");
  });

  it('accepts a file of exactly the limit', async () => {
    const path = join(root, 'exact.png');
    writeFileSync(path, PNG);
    truncateSync(path, 64);
    const reader = createDocumentReader({ root, maxFileBytes: 64 });
    expect(await reader.check(doc('exact.png'))).toBeUndefined();
    const held = await reader.read(doc('exact.png'));
    expect(Buffer.from(held.data.split(',')[1]!, 'base64')).toHaveLength(64);
    held.release();
  });

  it('refuses a directory, a FIFO and a device as not a regular file, without blocking on the FIFO', async () => {
    mkdirSync(join(root, 'folder.png'));
    expect((await refusal('folder.png')).rule).toBe(
      'the path is not a regular file (a directory, a device or a pipe)',
    );
    execFileSync('mkfifo', [join(root, 'pipe.png')]);
    expect((await refusal('pipe.png')).rule).toMatch(/not a regular file/);
    expect((await refusal('null', { root: '/dev' })).rule).toMatch(/not a regular file/);
  });

  it('refuses an empty file and an unsupported extension', async () => {
    writeFileSync(join(root, 'empty.png'), '');
    expect((await refusal('empty.png')).rule).toBe('the file is empty');
    writeFileSync(join(root, 'notes.txt'), 'hello');
    expect((await refusal('notes.txt')).rule).toMatch(/unsupported file type/);
  });

  it('refuses content that does not match its extension (magic bytes), and accepts each supported kind', async () => {
    writeFileSync(join(root, 'fake.png'), JPEG);
    expect((await refusal('fake.png')).rule).toBe('the content is not PNG data, as its type says');
    writeFileSync(join(root, 'script.pdf'), '#!/bin/sh\n');
    expect((await refusal('script.pdf')).rule).toBe('the content is not PDF data, as its type says');
    const reader = createDocumentReader({ root });
    const samples: [string, Buffer][] = [
      ['a.jpg', JPEG],
      ['a.jpeg', JPEG],
      ['a.pdf', PDF],
      ['a.gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')],
      ['a.webp', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])],
    ];
    for (const [name, bytes] of samples) {
      writeFileSync(join(root, name), bytes);
      expect(await reader.check(doc(name)), name).toBeUndefined();
    }
  });

  it('checks inline data the same way: a known type whose bytes match', async () => {
    const reader = createDocumentReader({ root });
    const inline = (mime: string, bytes: Buffer) => ({
      documentType: 'selfie-front' as const,
      data: `data:${mime};base64,${bytes.toString('base64')}`,
    });
    expect(await reader.check(inline('image/png', PNG))).toBeUndefined();
    expect((await reader.check(inline('image/png', JPEG)))?.rule).toMatch(/not PNG data/);
    expect((await reader.check(inline('text/plain', PNG)))?.rule).toMatch(/unsupported data type/);
  });
});

describe('createDocumentReader: bytes held at once are bounded', () => {
  it('a second read waits until the first upload releases its bytes', async () => {
    const bytes = Buffer.concat([PNG, Buffer.alloc(1000)]);
    writeFileSync(join(root, 'a.png'), bytes);
    writeFileSync(join(root, 'b.png'), bytes);
    // Each upload counts four times its file (the file and three encoded copies): room for one.
    const reader = createDocumentReader({ root, maxHeldBytes: bytes.length * 4 + 10 });
    const first = await reader.read(doc('a.png'));
    let second: { release(): void } | undefined;
    const pending = reader.read(doc('b.png')).then((held) => {
      second = held;
      return held;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBeUndefined();
    first.release();
    (await pending).release();
    expect(second).toBeDefined();
  });
});

describe('ByteBudget', () => {
  it('grants in order, clamps a request larger than the whole budget, and drops an aborted waiter', async () => {
    const budget = new ByteBudget(100);
    const a = await budget.acquire(60);
    const order: string[] = [];
    const b = budget.acquire(60).then((release) => {
      order.push('b');
      return release;
    });
    const controller = new AbortController();
    const c = budget.acquire(10, controller.signal).catch(() => order.push('c aborted'));
    const d = budget.acquire(500).then((release) => {
      order.push('d');
      return release;
    });
    controller.abort();
    await c;
    expect(budget.held).toBe(60);
    a();
    (await b)();
    (await d)();
    expect(order).toEqual(['c aborted', 'b', 'd']);
    expect(budget.held).toBe(0);
  });

  it('refuses a budget that is not a positive number', () => {
    for (const bad of [0, -1, Number.NaN]) expect(() => new ByteBudget(bad)).toThrow(RangeError);
  });
});
