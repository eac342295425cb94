import { join } from 'node:path';
import { round } from '../lib/machine.js';
import { API_KEY } from '../lib/records.js';
import { startSandbox, writeCounts } from '../lib/sandbox.js';
import { runEngine, type ScenarioContext, tempDir } from './common.js';

export interface BacklogResult {
  writesPerMin: number;
  readsPerMin: number;
  reviewMinutes: number;
  minutes: number;
  users: number;
  /** Users whose verification was triggered (a 2xx on PUT …/identity-verification). */
  triggered: number;
  writes: number;
  reads: number;
  /** writes ÷ (writes a minute × minutes): 16 % before the scheduler had a lane per budget. */
  writeBudgetShare: number;
  readBudgetShare: number;
  rateLimited: number;
  underReview: number;
  pollIntervalS: number | null;
}

const WRITES = 600;
const READS = 120;

/**
 * Reviews that take 10 minutes, so users pile up under review and their polls saturate the read
 * budget within the first minute, while thousands of new users wait: the write budget must still be
 * spent in full. The regime the issue measured at 16 % of the write budget.
 */
export async function backlog(ctx: ScenarioContext): Promise<BacklogResult> {
  const minutes = ctx.minutes ?? (ctx.quick ? 1 : 3);
  const users = ctx.users ?? 3_000;
  const reviewMs = 10 * 60_000;
  const sandbox = await startSandbox({ writesPerMin: WRITES, readsPerMin: READS, verifyAfterMs: reviewMs });
  const tmp = tempDir('backlog');
  try {
    const report = await runEngine(
      {
        store: { kind: 'sqlite', path: join(tmp.dir, 'backlog.db') },
        baseUrl: sandbox.baseUrl,
        apiKey: API_KEY,
        submit: { prefix: 'backlog', from: 0, count: users },
        run: true,
        stopAfterMs: Math.round(minutes * 60_000),
        concurrency: 16,
        budgets: { writesPerMinute: WRITES, readsPerMinute: READS },
      },
      minutes * 60_000 + 120_000,
    );
    const stats = await sandbox.stats();
    const w = writeCounts(stats);
    const engineStats = report.stats as { underReview?: number; pollIntervalMs?: number | null } | undefined;
    return {
      writesPerMin: WRITES,
      readsPerMin: READS,
      reviewMinutes: reviewMs / 60_000,
      minutes,
      users,
      triggered: Object.entries(
        stats.byRoute['PUT /users/{locator}/identity-verification']?.byStatus ?? {},
      ).reduce((sum, [status, n]) => sum + (status.startsWith('2') ? n : 0), 0),
      writes: w.writes,
      reads: stats.total - w.writes,
      writeBudgetShare: round(w.writes / (WRITES * minutes), 3),
      readBudgetShare: round((stats.total - w.writes) / (READS * minutes), 3),
      rateLimited: stats.rateLimited,
      underReview: engineStats?.underReview ?? 0,
      pollIntervalS:
        engineStats?.pollIntervalMs === undefined || engineStats.pollIntervalMs === null
          ? null
          : round(engineStats.pollIntervalMs / 1000, 1),
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
