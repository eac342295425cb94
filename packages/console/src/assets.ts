import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

let htmx: Promise<string> | undefined;

/**
 * htmx, served from this package's own dependency so the console works offline and from an
 * installed tarball (no CDN, nothing copied at build time). Read once, on first request.
 */
export function htmxSource(): Promise<string> {
  if (htmx === undefined) {
    const path = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');
    htmx = readFile(path, 'utf8');
  }
  return htmx;
}
