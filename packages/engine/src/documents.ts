import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { MAX_DOCUMENT_BYTES, type RecordDocument } from '@kyc-handoff/core';

/** The file types Crossmint takes, by extension, with the bytes each such file starts with. */
const TYPES: Record<string, { mime: string; matches(head: Buffer): boolean }> = {
  png: {
    mime: 'image/png',
    matches: (h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  jpeg: { mime: 'image/jpeg', matches: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  webp: {
    mime: 'image/webp',
    matches: (h) => h.toString('latin1', 0, 4) === 'RIFF' && h.toString('latin1', 8, 12) === 'WEBP',
  },
  gif: { mime: 'image/gif', matches: (h) => /^GIF8[79]a$/.test(h.toString('latin1', 0, 6)) },
  pdf: { mime: 'application/pdf', matches: (h) => h.toString('latin1', 0, 5) === '%PDF-' },
};
const TYPE_BY_EXTENSION: Record<string, keyof typeof TYPES> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
  '.gif': 'gif',
  '.pdf': 'pdf',
};
const TYPE_BY_MIME = Object.fromEntries(Object.entries(TYPES).map(([name, t]) => [t.mime, name]));
const HEAD_BYTES = 16;

/** Memory held for document uploads at once, in bytes, unless configured (see maxHeldBytes). */
export const DEFAULT_MAX_HELD_DOCUMENT_BYTES = 64 * 1024 * 1024;
/**
 * Memory one upload holds per byte of its file, measured: the file, its base64 data URL, the JSON
 * body the client serialises and the bytes undici sends are alive together (4/3 each encoded).
 */
const MEMORY_PER_FILE_BYTE = 4;

/**
 * A document the reader will not hand to Crossmint. The message names the document type and the
 * rule it breaks, never the path (a file name may carry the person's name).
 */
export class DocumentRefusedError extends Error {
  override readonly name = 'DocumentRefusedError';
  constructor(
    readonly documentType: string,
    readonly rule: string,
  ) {
    super(`${documentType}: ${rule}`);
  }
}

/** A document read for one upload; `release` gives its bytes back to the reader's budget. */
export interface HeldDocument {
  data: string;
  release(): void;
}

export interface DocumentReader {
  /**
   * Why a document would be refused (a DocumentRefusedError), checked from its metadata and first
   * bytes only: records are checked when they are submitted, before anything is sent.
   */
  check(document: RecordDocument): Promise<DocumentRefusedError | undefined>;
  /** The document as a data URL; throws DocumentRefusedError. Waits while the byte budget is spent. */
  read(document: RecordDocument, signal?: AbortSignal): Promise<HeldDocument>;
}

export interface DocumentReaderOptions {
  /** Files are read only from inside this folder, after symlinks are resolved. */
  root: string;
  /** Largest file accepted (default Crossmint's limit, 10 MB). */
  maxFileBytes?: number | undefined;
  /**
   * Memory that uploads in flight may hold at once, whatever the concurrency (default 64 MB). An
   * upload counts four times its file's size (the file, its data URL, the JSON body, the bytes
   * sent), so by default one 10 MB document or sixteen of 1 MB are uploaded at a time.
   */
  maxHeldBytes?: number | undefined;
}

const RULES = {
  outside: 'the file is outside the documents folder (absolute paths, ../ and symlinks must stay inside it)',
  missing: 'the file does not exist in the documents folder',
  unresolvable: 'the file path cannot be resolved',
  notFile: 'the path is not a regular file (a directory, a device or a pipe)',
  empty: 'the file is empty',
  tooLarge: (max: number) => `the file is larger than ${formatBytes(max)}, Crossmint's limit`,
  extension: 'unsupported file type (use .png, .jpg, .jpeg, .webp, .gif or .pdf)',
  mime: 'unsupported data type (use image/png, image/jpeg, image/webp, image/gif or application/pdf)',
  content: (kind: string) => `the content is not ${kind.toUpperCase()} data, as its type says`,
  unreadable: (code: string) => `the file could not be read (${code})`,
} as const;

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MB` : `${n} bytes`;
}

/** Reads document files from `root` only, within a size cap and a budget of bytes held at once. */
export function createDocumentReader(options: DocumentReaderOptions): DocumentReader {
  const maxFileBytes = options.maxFileBytes ?? MAX_DOCUMENT_BYTES;
  const budget = new ByteBudget(options.maxHeldBytes ?? DEFAULT_MAX_HELD_DOCUMENT_BYTES);
  let realRoot: Promise<string> | undefined;
  const rootOf = () => {
    realRoot ??= realpath(options.root);
    return realRoot;
  };

  /** Resolves and opens a document file; every refusal is a DocumentRefusedError. */
  async function openDocument(document: RecordDocument & { path: string }) {
    const refuse = (rule: string) => new DocumentRefusedError(document.documentType, rule);
    const type = TYPE_BY_EXTENSION[extname(document.path).toLowerCase()];
    let real: string;
    try {
      const root = await rootOf();
      real = await realpath(resolve(root, document.path));
      const inside = relative(root, real);
      if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) throw refuse(RULES.outside);
    } catch (error) {
      if (error instanceof DocumentRefusedError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw refuse(code === 'ENOENT' || code === 'ENOTDIR' ? RULES.missing : RULES.unresolvable);
    }
    // O_NOFOLLOW and fstat check what is opened, not what a name pointed to a moment ago;
    // O_NONBLOCK keeps a pipe swapped in meanwhile from holding the open.
    let handle: FileHandle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      throw refuse(RULES.unreadable((error as NodeJS.ErrnoException).code ?? 'error'));
    }
    try {
      const stats: Stats = await handle.stat();
      if (!stats.isFile()) throw refuse(RULES.notFile);
      if (stats.size === 0) throw refuse(RULES.empty);
      if (stats.size > maxFileBytes) throw refuse(RULES.tooLarge(maxFileBytes));
      if (type === undefined) throw refuse(RULES.extension);
      const head = Buffer.alloc(Math.min(HEAD_BYTES, stats.size));
      await handle.read(head, 0, head.length, 0);
      if (!TYPES[type]!.matches(head)) throw refuse(RULES.content(type));
      return { handle, size: stats.size, mime: TYPES[type]!.mime };
    } catch (error) {
      await handle.close();
      if (error instanceof DocumentRefusedError) throw error;
      throw refuse(RULES.unreadable((error as NodeJS.ErrnoException).code ?? 'error'));
    }
  }

  function checkInline(document: RecordDocument & { data: string }): DocumentRefusedError | undefined {
    const mime = document.data.slice('data:'.length, document.data.indexOf(';'));
    const type = TYPE_BY_MIME[mime];
    if (type === undefined) return new DocumentRefusedError(document.documentType, RULES.mime);
    const comma = document.data.indexOf(',');
    const head = Buffer.from(document.data.slice(comma + 1, comma + 1 + 24), 'base64');
    return TYPES[type]!.matches(head)
      ? undefined
      : new DocumentRefusedError(document.documentType, RULES.content(type));
  }

  return {
    async check(document) {
      if (document.data !== undefined) return checkInline({ ...document, data: document.data });
      try {
        const { handle } = await openDocument({ ...document, path: document.path ?? '' });
        await handle.close();
        return undefined;
      } catch (error) {
        if (error instanceof DocumentRefusedError) return error;
        throw error;
      }
    },

    async read(document, signal) {
      if (document.data !== undefined) {
        const refused = checkInline({ ...document, data: document.data });
        if (refused) throw refused;
        return { data: document.data, release: () => {} };
      }
      const opened = await openDocument({ ...document, path: document.path ?? '' });
      let release: () => void;
      try {
        release = await budget.acquire(opened.size * MEMORY_PER_FILE_BYTE, signal);
      } catch (error) {
        await opened.handle.close();
        throw error;
      }
      try {
        // One byte more than the size it had: a file that grew since is caught, not read on and on.
        const bytes = Buffer.alloc(opened.size + 1);
        const { bytesRead } = await opened.handle.read(bytes, 0, bytes.length, 0);
        if (bytesRead > maxFileBytes) {
          throw new DocumentRefusedError(document.documentType, RULES.tooLarge(maxFileBytes));
        }
        return {
          data: `data:${opened.mime};base64,${bytes.subarray(0, bytesRead).toString('base64')}`,
          release,
        };
      } catch (error) {
        release();
        if (error instanceof DocumentRefusedError) throw error;
        throw new DocumentRefusedError(
          document.documentType,
          RULES.unreadable((error as NodeJS.ErrnoException).code ?? 'error'),
        );
      } finally {
        await opened.handle.close();
      }
    },
  };
}

/**
 * A budget of bytes shared by every read: a read waits, first come first served, until its bytes
 * are free. A read larger than the whole budget waits for all of it, so it runs alone.
 */
export class ByteBudget {
  private free: number;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isFinite(capacity) || capacity <= 0) {
      throw new RangeError(`the document byte budget must be a positive number of bytes, not ${capacity}`);
    }
    this.free = capacity;
  }

  /** Held bytes right now. */
  get held(): number {
    return this.capacity - this.free;
  }

  acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const want = Math.min(bytes, this.capacity);
    const releaser = () => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.free += want;
        this.grantWaiting();
      };
    };
    if (this.waiting.length === 0 && this.free >= want) {
      this.free -= want;
      return Promise.resolve(releaser());
    }
    return new Promise((resolvePromise, reject) => {
      const entry = {
        bytes: want,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolvePromise(releaser());
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(entry);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(signal?.reason ?? new Error('aborted'));
        this.grantWaiting();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private grantWaiting(): void {
    for (let next = this.waiting[0]; next !== undefined && this.free >= next.bytes; next = this.waiting[0]) {
      this.waiting.shift();
      this.free -= next.bytes;
      next.grant();
    }
  }
}

/**
 * Why each document of a record would be refused, as field issues (`documents.1.path`), empty when
 * every one passes: a refused file is its record's error before anything is sent.
 */
export async function checkDocuments(
  reader: DocumentReader,
  documents: readonly RecordDocument[] | undefined,
): Promise<{ field: string; reason: string }[]> {
  if (documents === undefined || documents.length === 0) return [];
  const refusals = await Promise.all(documents.map((d) => reader.check(d)));
  return refusals.flatMap((refused, i) =>
    refused === undefined
      ? []
      : [
          {
            field: `documents.${i}.${documents[i]?.data !== undefined ? 'data' : 'path'}`,
            reason: refused.message,
          },
        ],
  );
}
