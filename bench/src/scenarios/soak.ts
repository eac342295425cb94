import { join } from 'node:path';
import { type EndChecks, sandboxChecks } from '../lib/checks.js';
import { round } from '../lib/machine.js';
import { API_KEY } from '../lib/records.js';
import { startSandbox } from '../lib/sandbox.js';
import { runEngine, type ScenarioContext, tempDir } from './common.js';
import { terminalOfCounts } from './throughput.js';

export interface SoakResult {
  users: number;
  faultRate: number;
  latencyMs: number;
  faultFreeMs: number;
  faultyMs: number;
  slowdown: number;
  faultsInjected: Record<string, number>;
  terminal: number;
  verified: number;
  rejected: number;
  states: Record<string, number>;
  checks: EndChecks;
}

const HANG_MS = 3_000;

/** 10 % faults of every kind and 50 ms latency: everyone terminal, no conflicting bodies. */
export async function soak(ctx: ScenarioContext): Promise<SoakResult> {
  const users = ctx.users ?? (ctx.quick ? 300 : 5_000);
  const latencyMs = 50;
  const faultRate = 0.1;
  const sandbox = await startSandbox({
    verifyAfterPolls: 1,
    latencyMs,
    hangMs: HANG_MS,
    seed: ctx.seed ?? 7,
  });
  const tmp = tempDir('soak');
  const engine = (prefix: string) =>
    runEngine(
      {
        store: { kind: 'sqlite', path: join(tmp.dir, `${prefix}.db`) },
        baseUrl: sandbox.baseUrl,
        apiKey: API_KEY,
        submit: { prefix, from: 0, count: users, rejectedEvery: 7 },
        run: true,
        concurrency: 64,
        budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
        policy: { pollInitialMs: 20, pollMaxMs: 200, baseDelayMs: 50, maxDelayMs: 1_000, maxAttempts: 12 },
        leaseMs: 15_000,
        // Above the hang, so a hang ends as the sandbox dropping the connection (a transient error).
        timeouts: { connectMs: 2_000, headersMs: HANG_MS + 2_000, bodyMs: 2_000 },
      },
      30 * 60_000,
    );
  try {
    const clean = await engine('clean');
    await sandbox.configure({ faultRate });
    const faulty = await engine('soak');
    const stats = await sandbox.stats();
    const counts = (faulty.counts ?? {}) as Record<string, number>;
    const checks = await sandboxChecks(sandbox, API_KEY, 'soak', users);
    return {
      users,
      faultRate,
      latencyMs,
      faultFreeMs: Math.round(clean.durationMs),
      faultyMs: Math.round(faulty.durationMs),
      slowdown: round(faulty.durationMs / clean.durationMs, 2),
      faultsInjected: stats.faults,
      terminal: terminalOfCounts(counts),
      verified: counts.verified ?? 0,
      rejected: counts.rejected ?? 0,
      states: counts,
      checks,
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
