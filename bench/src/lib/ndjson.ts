import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { benchRecord } from './records.js';

/**
 * Writes `lines` NDJSON records `${prefix}-0…` (every `rejectedEvery`-th one Rejected) without
 * holding them in memory: one template, the user id spliced in.
 */
export async function writeNdjson(
  path: string,
  prefix: string,
  lines: number,
  rejectedEvery = 0,
): Promise<void> {
  const out = createWriteStream(path);
  const smith = JSON.stringify(benchRecord(prefix, 1, 0)).replace(`"${prefix}-1"`, '"@ID@"');
  const rejected = JSON.stringify(benchRecord(prefix, 0, 1)).replace(`"${prefix}-0"`, '"@ID@"');
  let chunk = '';
  for (let i = 0; i < lines; i++) {
    const template = rejectedEvery > 0 && i % rejectedEvery === 0 ? rejected : smith;
    chunk += `${template.replace('"@ID@"', `"${prefix}-${i}"`)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
