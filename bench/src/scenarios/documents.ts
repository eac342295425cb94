import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from '../lib/machine.js';
import { runCli } from '../lib/proc.js';
import { API_KEY, benchRecord } from '../lib/records.js';
import { startSandbox } from '../lib/sandbox.js';
import { ENCRYPTION_KEY, type ScenarioContext, tempDir } from './common.js';

export interface DocumentsResult {
  users: number;
  documentMb: number;
  concurrency: number;
  /** Peak RSS of the same import without documents: what the documents add is measured against it. */
  baselinePeakRssMb: number;
  /** Peak RSS of `import` with the default 64 MB document budget. */
  boundedPeakRssMb: number;
  /** Peak RSS of the same import with a budget that never binds (every upload read at once). */
  unboundedPeakRssMb: number;
  /** bounded ÷ unbounded, measured in one run: the budget's share of the memory. */
  ratio: number;
  allVerified: boolean;
}

/**
 * `import` of users who each upload a document of nearly Crossmint's 10 MB limit, at a concurrency
 * that would read them all at once: peak RSS with the default 64 MB document budget against a
 * budget that never binds. The sandbox runs in its own process, so only the CLI is measured.
 */
export async function documents(ctx: ScenarioContext): Promise<DocumentsResult> {
  const users = ctx.users ?? (ctx.quick ? 16 : 32);
  const concurrency = users;
  const documentBytes = 9 * 1024 * 1024;
  const sandbox = await startSandbox({ verifyAfterPolls: 1 });
  const tmp = tempDir('documents');
  try {
    const png = Buffer.alloc(documentBytes, 7);
    Buffer.from('89504e470d0a1a0a', 'hex').copy(png);
    writeFileSync(join(tmp.dir, 'id.png'), png);
    const run = async (label: string, bufferMb: number, withDocuments = true) => {
      const file = join(tmp.dir, `${label}.ndjson`);
      const lines = Array.from({ length: users }, (_, i) =>
        JSON.stringify({
          ...benchRecord(label, i),
          ...(withDocuments && { documents: [{ documentType: 'id-passport', path: 'id.png' }] }),
        }),
      );
      writeFileSync(file, `${lines.join('\n')}\n`);
      const result = await runCli(
        [
          'import',
          file,
          '--json',
          '--store',
          `sqlite:${join(tmp.dir, `${label}.db`)}`,
          '--base-url',
          sandbox.baseUrl,
          '--writes-per-min',
          '0',
          '--reads-per-min',
          '0',
          '--poll-ms',
          '1',
          '--concurrency',
          String(concurrency),
          '--document-buffer-mb',
          String(bufferMb),
        ],
        {
          env: { CROSSMINT_API_KEY: API_KEY, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY },
          timeoutMs: 600_000,
        },
      );
      if (result.code !== 0)
        throw new Error(`import exited with ${result.code}: ${result.stderr.slice(-2000)}`);
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { verified?: number };
      return { peakMb: round(result.peakRssKb / 1024), verified: summary.verified ?? 0 };
    };
    const baseline = await run('baseline', 64, false);
    const bounded = await run('bounded', 64);
    const unbounded = await run('unbounded', 100_000);
    return {
      users,
      documentMb: documentBytes / (1024 * 1024),
      concurrency,
      baselinePeakRssMb: baseline.peakMb,
      boundedPeakRssMb: bounded.peakMb,
      unboundedPeakRssMb: unbounded.peakMb,
      ratio: round(bounded.peakMb / unbounded.peakMb, 2),
      allVerified: [baseline, bounded, unbounded].every((r) => r.verified === users),
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
