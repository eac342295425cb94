/**
 * Time to read one long NDJSON line (a record with a large inline document) of 10 MB and of 40 MB
 * through the CLI's reader, fed in 64 KiB chunks as a file stream gives them. The ratio is the
 * figure: a reader linear in the line's length takes about 4x as long for 4x the bytes, one that
 * re-scans what it holds at every chunk about 16x. Run: pnpm --filter @kyc-handoff/cli bench
 */
import { Readable } from 'node:stream';
import { ndjsonRecords } from '../src/input/ndjson.js';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** One record whose inline document is `bytes` long, as the chunks a file stream would give. */
function longLine(bytes: number): Readable {
  const head = Buffer.from(
    '{"userId":"long-1","documents":[{"documentType":"id-passport","data":"data:;base64,',
  );
  const tail = Buffer.from('"}]}\n');
  const filler = Buffer.alloc(CHUNK, 'A');
  return Readable.from(
    (function* () {
      yield head;
      for (let left = bytes; left > 0; left -= CHUNK) yield left >= CHUNK ? filler : filler.subarray(0, left);
      yield tail;
    })(),
  );
}

async function readMs(bytes: number): Promise<number> {
  const started = performance.now();
  let records = 0;
  for await (const item of ndjsonRecords(longLine(bytes))) {
    if (!('value' in item)) throw new Error(`the ${bytes / MB} MB line was refused: ${JSON.stringify(item)}`);
    records++;
  }
  if (records !== 1) throw new Error(`expected one record, read ${records}`);
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

await readMs(1 * MB); // warm-up: JIT and allocator
const small: number[] = [];
const large: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  small.push(await readMs(10 * MB));
  large.push(await readMs(40 * MB));
}
const [t10, t40] = [median(small), median(large)];
console.log(`one 10 MB line: ${t10.toFixed(0)} ms (median of ${ROUNDS})`);
console.log(`one 40 MB line: ${t40.toFixed(0)} ms (median of ${ROUNDS})`);
console.log(`ratio 40 MB / 10 MB: ${(t40 / t10).toFixed(1)}x (linear ≈ 4x, quadratic ≈ 16x)`);
