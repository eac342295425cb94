import { join } from 'node:path';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { openPostgresStore } from '@kyc-handoff/store-postgres';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import type { EngineChildConfig } from '../children/engine.js';
import { round } from '../lib/machine.js';
import { dropSchema, freshSchema, PG_URL, pgAvailable, psql } from '../lib/pg.js';
import { API_KEY } from '../lib/records.js';
import { startSandbox } from '../lib/sandbox.js';
import { runEngine, runTogether, type ScenarioContext, tempDir } from './common.js';
import { pgWallMs, terminalOfCounts } from './throughput.js';

export interface PgScaleResult {
  users: number;
  latencyMs: number;
  concurrencyPerWorker: number;
  workers: { workers: number; usersPerSec: number; durationMs: number; terminal: number; speedup: number }[];
  claim: {
    store: string;
    rows: number;
    nonTerminal: number;
    buildMs: number;
    p50Ms: number;
    p99Ms: number;
    claims: number;
  }[];
}

const CONCURRENCY = 8;
const LATENCY_MS = 20;

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** Workers against an API with 20 ms latency (the API is the limit), and claim latency on 10^6 rows. */
export async function pgScale(ctx: ScenarioContext): Promise<PgScaleResult> {
  if (!pgAvailable()) throw new Error(`PostgreSQL is not reachable at ${PG_URL} (set BENCH_PG_URL)`);
  const users = ctx.users ?? (ctx.quick ? 400 : 4_000);
  const rows = ctx.lines ?? (ctx.quick ? 100_000 : 1_000_000);
  const sandbox = await startSandbox({ verifyAfterPolls: 1, latencyMs: LATENCY_MS });
  const workers: PgScaleResult['workers'] = [];
  try {
    for (const n of [1, 2, 4]) {
      await sandbox.reset();
      const schema = freshSchema(`scale${n}`);
      const base: EngineChildConfig = {
        store: { kind: 'postgres', connectionString: PG_URL, schema },
        baseUrl: sandbox.baseUrl,
        apiKey: API_KEY,
        run: true,
        concurrency: CONCURRENCY,
        budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
        policy: { pollInitialMs: 1, pollMaxMs: 1, baseDelayMs: 10 },
        leaseMs: 5_000,
      };
      try {
        await runEngine(
          { ...base, run: false, submit: { prefix: `scale${n}`, from: 0, count: users } },
          600_000,
        );
        const { reports, wallMs } = await runTogether(
          Array.from({ length: n }, () => ({ name: 'engine', config: base })),
          30 * 60_000,
        );
        const durationMs = pgWallMs(schema, reports, wallMs);
        const usersPerSec = round(users / (durationMs / 1000));
        workers.push({
          workers: n,
          usersPerSec,
          durationMs,
          terminal: Math.max(...reports.map((r) => terminalOfCounts(r.counts))),
          speedup: round(usersPerSec / (workers[0]?.usersPerSec ?? usersPerSec), 2),
        });
        ctx.log?.(`  ${n} worker(s): ${usersPerSec} users/s`);
      } finally {
        dropSchema(schema);
      }
    }
  } finally {
    await sandbox.close();
  }
  return {
    users,
    latencyMs: LATENCY_MS,
    concurrencyPerWorker: CONCURRENCY,
    workers,
    claim: [await pgClaimLatency(rows), await sqliteClaimLatency(rows)],
  };
}

const CLAIMS = 200;

async function timeClaims(claim: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < CLAIMS; i++) {
    const t = performance.now();
    await claim();
    times.push(performance.now() - t);
  }
  return { p50Ms: round(percentile(times, 50), 2), p99Ms: round(percentile(times, 99), 2), claims: CLAIMS };
}

async function pgClaimLatency(rows: number) {
  const schema = freshSchema('claim');
  const store = await openPostgresStore({
    connectionString: PG_URL,
    schema,
    keyring: parseKeyring(generateKey()),
  });
  try {
    const now = Date.now();
    const built = performance.now();
    psql(`
      INSERT INTO ${schema}.onboardings (user_id, state, snapshot, machine_version, version, wake_at, attempts, outcome, created_at, updated_at)
      SELECT 'claim-' || i,
             CASE WHEN i % 10 = 0 THEN 'verificationPending' ELSE 'verified' END,
             '{"value":"verified","context":{}}'::jsonb, 1, 1,
             CASE WHEN i % 10 = 0 THEN ${now} - 60000 + (i % 1000) ELSE NULL END,
             0,
             CASE WHEN i % 10 = 0 THEN NULL ELSE 'verified' END,
             ${now}, ${now}
      FROM generate_series(1, ${rows}) AS i;
      ANALYZE ${schema}.onboardings;`);
    const buildMs = Math.round(performance.now() - built);
    const timing = await timeClaims(() =>
      store.claimDue({ now: Date.now(), limit: 64, owner: 'bench', leaseMs: 600_000 }),
    );
    return { store: 'postgres', rows, nonTerminal: rows / 10, buildMs, ...timing };
  } finally {
    await store.close();
    dropSchema(schema);
  }
}

async function sqliteClaimLatency(rows: number) {
  const tmp = tempDir('claim');
  const store = openSqliteStore({ path: join(tmp.dir, 'claim.db'), keyring: parseKeyring(generateKey()) });
  try {
    const now = Date.now();
    const built = performance.now();
    store.raw.exec(`
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows})
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, attempts, outcome, created_at, updated_at)
      SELECT 'claim-' || i,
             CASE WHEN i % 10 = 0 THEN 'verificationPending' ELSE 'verified' END,
             '{"value":"verified","context":{}}', 1, 1,
             CASE WHEN i % 10 = 0 THEN ${now} - 60000 + (i % 1000) ELSE NULL END,
             0,
             CASE WHEN i % 10 = 0 THEN NULL ELSE 'verified' END,
             ${now}, ${now}
      FROM s;
      ANALYZE;`);
    const buildMs = Math.round(performance.now() - built);
    const timing = await timeClaims(() =>
      store.claimDue({ now: Date.now(), limit: 64, owner: 'bench', leaseMs: 600_000 }),
    );
    return { store: 'sqlite', rows, nonTerminal: rows / 10, buildMs, ...timing };
  } finally {
    await store.close();
    tmp.cleanup();
  }
}
