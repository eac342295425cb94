import { join } from 'node:path';
import { round } from '../lib/machine.js';
import { API_KEY } from '../lib/records.js';
import { startSandbox, writeCounts } from '../lib/sandbox.js';
import { runEngine, type ScenarioContext, tempDir } from './common.js';

export interface RateResult {
  writesPerMin: number;
  readsPerMin: number;
  minutes: number;
  backlogUsers: number;
  writes: number;
  reads: number;
  /** Real rate-limit refusals by the sandbox; target 0. */
  rateLimited: number;
  /** writes / (writesPerMin × minutes); target ≥ 0.95. */
  writeBudgetShare: number;
  usersTerminal: number;
}

const WRITES = 600;
const READS = 1_800;

/** A backlog larger than the budget, run for a fixed time: no 429s, and the budget is used. */
export async function rate(ctx: ScenarioContext): Promise<RateResult> {
  const minutes = ctx.minutes ?? (ctx.quick ? 1 / 3 : 3);
  // 3 writes per user: twice the users the write budget allows in that time.
  const backlogUsers = Math.ceil(((WRITES * minutes) / 3) * 2);
  const sandbox = await startSandbox({ writesPerMin: WRITES, readsPerMin: READS, verifyAfterPolls: 1 });
  const tmp = tempDir('rate');
  try {
    const report = await runEngine(
      {
        store: { kind: 'sqlite', path: join(tmp.dir, 'rate.db') },
        baseUrl: sandbox.baseUrl,
        apiKey: API_KEY,
        submit: { prefix: 'rate', from: 0, count: backlogUsers },
        run: true,
        stopAfterMs: Math.round(minutes * 60_000),
        concurrency: 16,
        budgets: { writesPerMinute: WRITES, readsPerMinute: READS },
        policy: { pollInitialMs: 200, pollMaxMs: 2_000 },
      },
      minutes * 60_000 + 120_000,
    );
    const stats = await sandbox.stats();
    const w = writeCounts(stats);
    const counts = (report.counts ?? {}) as Record<string, number>;
    return {
      writesPerMin: WRITES,
      readsPerMin: READS,
      minutes: round(minutes, 3),
      backlogUsers,
      writes: w.writes,
      reads: stats.total - w.writes,
      rateLimited: stats.rateLimited,
      writeBudgetShare: round(w.writes / (WRITES * minutes), 3),
      usersTerminal: (counts.verified ?? 0) + (counts.rejected ?? 0),
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
