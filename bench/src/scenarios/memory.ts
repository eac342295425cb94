import { join } from 'node:path';
import { round } from '../lib/machine.js';
import { writeNdjson } from '../lib/ndjson.js';
import { runCli } from '../lib/proc.js';
import { API_KEY } from '../lib/records.js';
import { startSandbox } from '../lib/sandbox.js';
import { ENCRYPTION_KEY, type ScenarioContext, tempDir } from './common.js';

export interface MemoryResult {
  lines: number;
  importExit: number | null;
  importMs: number;
  importPeakRssMb: number;
  importSummary: unknown;
  statusMs: number;
  statusCounts: Record<string, number>;
  /** The first resume does the polls --no-wait left (every user is due for one). */
  resumeFinishingMs: number;
  resumePeakRssMb: number;
  /** A resume when everything is already terminal: the < 5 s target. */
  resumeNothingLeftMs: number;
}

/** `import --no-wait` of a large NDJSON file through the CLI: peak RSS, then status and resume. */
export async function memory(ctx: ScenarioContext): Promise<MemoryResult> {
  const lines = ctx.lines ?? (ctx.quick ? 20_000 : 1_000_000);
  const sandbox = await startSandbox({ verifyAfterPolls: 1 });
  const tmp = tempDir('memory');
  try {
    const file = join(tmp.dir, 'users.ndjson');
    await writeNdjson(file, 'mem', lines, 10);
    const store = ['--store', `sqlite:${join(tmp.dir, 'memory.db')}`];
    const common = [...store, '--base-url', sandbox.baseUrl, '--writes-per-min', '0', '--reads-per-min', '0'];
    const env = { CROSSMINT_API_KEY: API_KEY, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY };
    const hours = 4 * 3_600_000;
    const imported = await runCli(
      ['import', file, '--no-wait', '--json', '--concurrency', '64', '--poll-ms', '1', ...common],
      {
        env,
        timeoutMs: hours,
      },
    );
    if (imported.code !== 0)
      throw new Error(`import exited with ${imported.code}: ${imported.stderr.slice(-2000)}`);
    const status = await runCli(['status', '--json', ...store], { env, timeoutMs: 600_000 });
    const resume1 = await runCli(['resume', '--concurrency', '64', ...common], { env, timeoutMs: hours });
    const resume2 = await runCli(['resume', '--concurrency', '64', ...common], { env, timeoutMs: 600_000 });
    let importSummary: unknown;
    try {
      importSummary = JSON.parse(imported.stdout.trim().split('\n').at(-1) ?? '');
    } catch {
      importSummary = imported.stdout.slice(-500);
    }
    return {
      lines,
      importExit: imported.code,
      importMs: Math.round(imported.durationMs),
      importPeakRssMb: round(imported.peakRssKb / 1024),
      importSummary,
      statusMs: Math.round(status.durationMs),
      statusCounts: JSON.parse(status.stdout) as Record<string, number>,
      resumeFinishingMs: Math.round(resume1.durationMs),
      resumePeakRssMb: round(resume1.peakRssKb / 1024),
      resumeNothingLeftMs: Math.round(resume2.durationMs),
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
