import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleRecord } from '@kyc-handoff/core/testing';
import { round } from '../lib/machine.js';
import { runCli } from '../lib/proc.js';
import { API_KEY, userIdOf } from '../lib/records.js';
import { startSandbox } from '../lib/sandbox.js';
import { ENCRYPTION_KEY, type ScenarioContext, tempDir } from './common.js';

export interface BulkSupplyResult {
  users: number;
  /** Users the import left waiting for data (the sandbox's magic last name Incomplete). */
  requiresDataAfterImport: number;
  importMs: number;
  /** Reading and applying the supplies file (one passport each), before the machines run. */
  supplyMs: number;
  linesPerSec: number;
  /** The whole `supply --file`: applying, then running every user to its outcome. */
  supplyTotalMs: number;
  supplyPeakRssMb: number;
  applied: number;
  refused: number;
  verified: number;
  allVerified: boolean;
}

async function writeLines(path: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += `${line(i)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/**
 * 10,000 users that Crossmint asks for an id document (sandbox last name Incomplete), then
 * `supply --file` of 10,000 lines with a passport each: lines/s of applying them, the peak RSS of
 * the whole command, and every user verified at its end.
 */
export async function bulkSupply(ctx: ScenarioContext): Promise<BulkSupplyResult> {
  const users = ctx.users ?? (ctx.quick ? 1_000 : 10_000);
  const sandbox = await startSandbox({ verifyAfterPolls: 1 });
  const tmp = tempDir('bulk-supply');
  try {
    const base = sampleRecord();
    const template = JSON.stringify(
      sampleRecord({ userId: 'bulk-@ID@', userDetails: { ...base.userDetails!, lastName: 'Incomplete' } }),
    );
    const usersFile = join(tmp.dir, 'users.ndjson');
    await writeLines(usersFile, users, (i) => template.replace('bulk-@ID@', userIdOf('bulk', i)));
    const passport = Buffer.alloc(32 * 1024, 7);
    Buffer.from('89504e470d0a1a0a', 'hex').copy(passport);
    writeFileSync(join(tmp.dir, 'passport.png'), passport);
    const suppliesFile = join(tmp.dir, 'supplies.ndjson');
    await writeLines(suppliesFile, users, (i) =>
      JSON.stringify({
        userId: userIdOf('bulk', i),
        documents: [{ documentType: 'id-passport', path: 'passport.png' }],
      }),
    );

    const common = [
      '--store',
      `sqlite:${join(tmp.dir, 'bulk.db')}`,
      '--base-url',
      sandbox.baseUrl,
      '--writes-per-min',
      '0',
      '--reads-per-min',
      '0',
      '--concurrency',
      '64',
    ];
    const env = { CROSSMINT_API_KEY: API_KEY, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY };
    const imported = await runCli(['import', usersFile, '--json', '--poll-ms', '1', ...common], {
      env,
      timeoutMs: 60 * 60_000,
    });
    if (imported.code !== 0)
      throw new Error(`import exited with ${imported.code}: ${imported.stderr.slice(-2000)}`);
    const importSummary = JSON.parse(imported.stdout.trim().split('\n').at(-1) ?? '{}') as {
      requiresData?: number;
    };
    const supplied = await runCli(['supply', '--file', suppliesFile, '--json', ...common], {
      env,
      timeoutMs: 60 * 60_000,
    });
    if (supplied.code !== 0)
      throw new Error(`supply exited with ${supplied.code}: ${supplied.stderr.slice(-2000)}`);
    const summary = JSON.parse(supplied.stdout.trim().split('\n').at(-1) ?? '{}') as {
      lines: number;
      applied: number;
      refused: number;
      supplyMs: number;
      verified: number;
    };
    return {
      users,
      requiresDataAfterImport: importSummary.requiresData ?? 0,
      importMs: Math.round(imported.durationMs),
      supplyMs: summary.supplyMs,
      linesPerSec: Math.round(summary.lines / (summary.supplyMs / 1000)),
      supplyTotalMs: Math.round(supplied.durationMs),
      supplyPeakRssMb: round(supplied.peakRssKb / 1024),
      applied: summary.applied,
      refused: summary.refused,
      verified: summary.verified,
      allVerified: summary.verified === users && summary.applied === users,
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
