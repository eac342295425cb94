// One engine contender: opens a store, optionally submits users, optionally runs to idle (or for
// a fixed time), and reports its figures as a JSON line.
import type { OnboardingStore } from '@kyc-handoff/core';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient, createThreadedCrossmintClient } from '@kyc-handoff/crossmint-http';
import { type BudgetLimits, createHandoff } from '@kyc-handoff/engine';
import { openPostgresStore } from '@kyc-handoff/store-postgres';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { benchRecord } from '../lib/records.js';
import { configOf, cpuMsSinceGo, readyThenGo, report } from './protocol.js';
import { replayPort } from './replay-port.js';

export interface EngineChildConfig {
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string; schema: string };
  baseUrl: string;
  apiKey: string;
  /** Users `${prefix}-${from}` … to submit before running. */
  submit?: { prefix: string; from: number; count: number; rejectedEvery?: number };
  run: boolean;
  /** Stop after this long instead of running until idle. */
  stopAfterMs?: number;
  concurrency: number;
  budgets: BudgetLimits;
  policy?: Record<string, number>;
  leaseMs?: number;
  idleSweepMs?: number;
  timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number };
  waitForGo?: boolean;
  /** Engine warnings and errors to stderr. */
  debug?: boolean;
  /**
   * Answer every call with the sandbox's answers for one user captured before "go", with no HTTP:
   * what the engine's own work costs.
   */
  replay?: boolean;
  /** The HTTP client on a worker thread (`--http-thread`) instead of the engine's own thread. */
  httpThread?: boolean;
}

const config = configOf<EngineChildConfig>();
const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
  process.stderr.write(`${new Date().toISOString()} ${level} ${message} ${JSON.stringify(fields ?? {})}\n`);
const stderrLogger = { debug: () => {}, info: () => {}, warn: log('warn'), error: log('error') };
const keyring = parseKeyring(process.env.KYC_HANDOFF_ENCRYPTION_KEY ?? '');
const store: OnboardingStore =
  config.store.kind === 'sqlite'
    ? openSqliteStore({ path: config.store.path, keyring })
    : await openPostgresStore({
        connectionString: config.store.connectionString,
        schema: config.store.schema,
        keyring,
      });
const crossmint = (config.httpThread ? createThreadedCrossmintClient : createCrossmintClient)(
  { baseUrl: config.baseUrl },
  {
    apiKey: config.apiKey,
    connections: config.concurrency,
    ...(config.timeouts ? { timeouts: config.timeouts } : {}),
  },
);
const handoff = createHandoff({
  crossmint: config.replay ? await replayPort(crossmint, config.submit?.prefix ?? 'replay') : crossmint,
  store,
  budgets: config.budgets,
  concurrency: config.concurrency,
  ...(config.policy ? { policy: config.policy } : {}),
  ...(config.leaseMs ? { leaseMs: config.leaseMs } : {}),
  idleSweepMs: config.idleSweepMs ?? 100,
  ...(config.debug ? { logger: stderrLogger } : {}),
});

await readyThenGo(config.waitForGo ?? false);
if (config.debug) {
  setInterval(async () => {
    log('info')('activity', { ...handoff.activity(), counts: (await handoff.stats()).states });
  }, 5_000).unref();
}
const eluAtGo = performance.eventLoopUtilization();
const startedAt = Date.now();
const started = performance.now();
let submitMs = 0;
let submitCpuMs = 0;
let submitted = 0;
let overlapRun: Promise<void> | undefined;
if (config.submit) {
  const { prefix, from, count, rejectedEvery = 0 } = config.submit;
  if (process.env.KH_OVERLAP === '1') overlapRun = handoff.run({ until: 'stopped' });
  for (let i = from; i < from + count; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(from + count, i + 500); j++)
      batch.push(benchRecord(prefix, j, rejectedEvery));
    const results = await handoff.submit(batch);
    submitted += results.filter((r) => r.status !== 'invalid').length;
  }
  submitMs = performance.now() - started;
  submitCpuMs = cpuMsSinceGo();
}
const samples = { n: 0, calls: 0, driving: 0 };
const sampler = setInterval(() => {
  const a = handoff.activity();
  samples.n++;
  samples.calls += a.callsInFlight;
  samples.driving += a.driving;
}, 2);
sampler.unref();
if (overlapRun) {
  for (;;) {
    const st = (await handoff.stats()).states;
    if ((st.verified ?? 0) + (st.rejected ?? 0) + (st.failed ?? 0) >= submitted) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await handoff.stop({ graceMs: 5_000 });
  await overlapRun;
} else if (config.run) {
  if (config.stopAfterMs !== undefined) {
    const running = handoff.run({ until: 'stopped' });
    await new Promise((resolve) => setTimeout(resolve, config.stopAfterMs));
    await handoff.stop({ graceMs: 5_000 });
    await running;
  } else {
    await handoff.run({ until: 'idle' });
  }
}
const durationMs = performance.now() - started;
const endedAt = Date.now();
const stats = await handoff.stats();
const counts = stats.states;
const activity = handoff.activity();
await crossmint.close();
await store.close();
process.stderr.write(
  JSON.stringify({
    avgCalls: samples.calls / samples.n,
    avgDriving: samples.driving / samples.n,
    n: samples.n,
  }) + '\n',
);
report({
  users: submitted,
  durationMs,
  submitMs,
  submitCpuMs,
  startedAt,
  endedAt,
  counts,
  stats: { underReview: stats.underReview, pollIntervalMs: stats.pollIntervalMs, etaMs: stats.etaMs },
  writesGranted: activity.writesGranted,
  readsGranted: activity.readsGranted,
  commits: activity.commits,
  /** Time the engine's thread was busy: what bounds its throughput, as it runs on that one thread. */
  engineThreadMs: Math.round(performance.eventLoopUtilization(eluAtGo).active),
});
