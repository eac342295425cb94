import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { RecordDocument } from '@kyc-handoff/core';

const MIME_BY_EXTENSION: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
};

export type DocumentReader = (document: RecordDocument) => Promise<string>;

/** Inline data is used as is; a path is read and turned into a data URL (relative to `baseDir`). */
export function createDocumentReader(baseDir = process.cwd()): DocumentReader {
  return async (document) => {
    if (document.data !== undefined) return document.data;
    const path = document.path ?? '';
    const mime = MIME_BY_EXTENSION[extname(path).toLowerCase()];
    if (mime === undefined) {
      throw new Error(
        `${document.documentType}: unsupported file type (use .png, .jpg, .jpeg, .webp, .gif or .pdf)`,
      );
    }
    const absolute = path.startsWith('/') ? path : `${baseDir}/${path}`;
    const bytes = await readFile(absolute).catch((error: NodeJS.ErrnoException) => {
      // The path may contain a person's name: say which document and why, not where.
      throw new Error(`${document.documentType}: the file could not be read (${error.code ?? 'error'})`);
    });
    return `data:${mime};base64,${bytes.toString('base64')}`;
  };
}
