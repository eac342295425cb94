import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import type { EngineChildConfig } from '../children/engine.js';
import { round } from '../lib/machine.js';
import { dropSchema, freshSchema, PG_URL, pgAvailable, psql } from '../lib/pg.js';
import { API_KEY } from '../lib/records.js';
import { startSandbox } from '../lib/sandbox.js';
import { ENCRYPTION_KEY, runEngine, runTogether, type ScenarioContext, tempDir } from './common.js';

export interface ContenderFigures {
  contender: string;
  users: number;
  durationMs: number;
  usersPerSec: number;
  ratioToRaw?: number;
  peakRssMb: number;
  /** CPU time of the contender process per user (user + system), a steadier figure than the rate. */
  cpuMsPerUser?: number;
  /** Busy time of the engine's own thread per user: the engine's throughput is bound by it. */
  threadMsPerUser?: number;
  terminal?: number;
}

export interface ThroughputResult {
  users: number;
  concurrency: number;
  contenders: ContenderFigures[];
  rawMeanUsersPerSec: number;
  /** Each `engine-sqlite` run ÷ the mean of the raw runs just before and just after it. */
  sqlitePairRatios: number[];
  /** The median of `sqlitePairRatios`; target ≥ 0.5. */
  sqliteRatio: number;
  /** Every engine contender drove every user to a terminal state. */
  allTerminal: boolean;
  /** CPU ms per user: raw (mean of both runs), the sandbox serving raw, the engine with no HTTP. */
  cpu?: { raw: number; sandbox: number; engineWithoutHttp: number };
  /**
   * Share of all cores raw and the sandbox kept busy together. Near 1, the box is CPU-bound and
   * `cpuCeilingRatio` applies.
   */
  rawCoreUse?: number;
  /**
   * The best ratio a CPU-bound box allows an engine that spends raw's CPU on HTTP plus its own work
   * without HTTP: (raw + sandbox) / (raw + engineWithoutHttp + sandbox), per user.
   */
  cpuCeilingRatio?: number;
  /**
   * The best ratio an engine doing all its work on one thread can reach, if its HTTP costs what
   * raw's does: raw / (raw + engineWithoutHttp's thread time), per user. Raw is bound by its one
   * thread too, so this is the ceiling the default engine meets; the CPU ceiling assumes the
   * engine's own work ran beside its HTTP on another core.
   */
  singleThreadCeilingRatio?: number;
}

export const CONCURRENCY = 64;
/**
 * Engine runs on SQLite, each between two raw runs. This box's speed drifts by tens of percent
 * within minutes (raw alone moved by 60 % within one run), so a ratio against raw runs minutes
 * away measured the drift as much as the engine; the median of bracketed pairs does not.
 */
const PAIRS = 3;
/** The tuning the README suggests for bulk imports without a budget. */
const YOUNG_64 = '--max-semi-space-size=64';
/** Polls right away, like the raw script. */
export const FAST_POLICY = { pollInitialMs: 1, pollMaxMs: 1, baseDelayMs: 10 };

export async function throughput(
  ctx: ScenarioContext & { pgWorkers?: number[]; pairs?: number },
): Promise<ThroughputResult> {
  const users = ctx.users ?? (ctx.quick ? 500 : 20_000);
  const pairs =
    ctx.pairs !== undefined && Number.isInteger(ctx.pairs) && ctx.pairs >= 1
      ? ctx.pairs
      : ctx.quick
        ? 1
        : PAIRS;
  const timeoutMs = 30 * 60_000;
  const sandbox = await startSandbox({ verifyAfterPolls: 1 });
  const tmp = tempDir('throughput');
  const contenders: ContenderFigures[] = [];
  let allTerminal = true;
  const fig = (
    contender: string,
    r: { users: number; durationMs: number; maxRssKb: number; cpuMs?: unknown; engineThreadMs?: unknown },
    terminal?: number,
  ) => {
    const f: ContenderFigures = {
      contender,
      users: r.users,
      durationMs: Math.round(r.durationMs),
      usersPerSec: round(r.users / (r.durationMs / 1000)),
      peakRssMb: round(r.maxRssKb / 1024),
      ...(typeof r.cpuMs === 'number' ? { cpuMsPerUser: round(r.cpuMs / r.users, 3) } : {}),
      ...(typeof r.engineThreadMs === 'number'
        ? { threadMsPerUser: round(r.engineThreadMs / r.users, 3) }
        : {}),
      ...(terminal === undefined ? {} : { terminal }),
    };
    contenders.push(f);
    ctx.log?.(`  ${contender}: ${f.usersPerSec} users/s`);
    return f;
  };
  const engineBase = (store: EngineChildConfig['store']): EngineChildConfig => ({
    store,
    baseUrl: sandbox.baseUrl,
    apiKey: API_KEY,
    run: true,
    concurrency: CONCURRENCY,
    budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
    policy: FAST_POLICY,
    idleSweepMs: 100,
  });
  const sandboxCpuMsPerUser: number[] = [];
  const raw = async (label: string) => {
    await sandbox.reset();
    const sandboxCpuBefore = sandbox.cpuMs();
    const { reports } = await runTogether(
      [
        {
          name: 'raw',
          config: {
            baseUrl: sandbox.baseUrl,
            apiKey: API_KEY,
            prefix: label,
            users,
            concurrency: CONCURRENCY,
          },
        },
      ],
      timeoutMs,
    );
    const sandboxCpuAfter = sandbox.cpuMs();
    if (sandboxCpuBefore !== undefined && sandboxCpuAfter !== undefined) {
      sandboxCpuMsPerUser.push((sandboxCpuAfter - sandboxCpuBefore) / users);
    }
    return fig(label, reports[0]!);
  };
  try {
    const raws = [await raw('raw-1')];

    /** One engine on its own SQLite file, every user submitted then driven to the end. */
    const sqliteEngine = async (
      contender: string,
      prefix: string,
      extra: Partial<EngineChildConfig> = {},
      env?: NodeJS.ProcessEnv,
    ) => {
      await sandbox.reset();
      const path = join(tmp.dir, `${prefix}.db`);
      const { reports } = await runTogether(
        [
          {
            name: 'engine',
            config: {
              ...engineBase({ kind: 'sqlite', path }),
              ...extra,
              submit: { prefix, from: 0, count: users },
            },
            ...(env && { env }),
          },
        ],
        timeoutMs,
      );
      const terminal = terminalOfCounts(reports[0]!.counts);
      if (terminal !== users) allTerminal = false;
      return { path, figures: fig(contender, reports[0]!, terminal) };
    };
    const sqliteRuns: ContenderFigures[] = [];
    let dbPath = '';
    for (let pair = 1; pair <= pairs; pair++) {
      const run = await sqliteEngine(`engine-sqlite-${pair}`, `sqlite${pair}`);
      raws.push(await raw(`raw-${pair + 1}`));
      const bracket = mean([raws[pair - 1]!.usersPerSec, raws[pair]!.usersPerSec])!;
      run.figures.ratioToRaw = round(run.figures.usersPerSec / bracket, 3);
      sqliteRuns.push(run.figures);
      dbPath = run.path;
    }
    const sqlitePairRatios = sqliteRuns.map((run) => run.ratioToRaw!);
    // With HTTP on a worker thread (--http-thread): what taking it off the engine's thread is worth.
    await sqliteEngine('engine-sqlite-http-thread', 'http-thread', { httpThread: true });
    // With V8's young generation at 64 MB a semi-space (Node's default is 16), as an operator sets
    // it through NODE_OPTIONS: objects of the users in flight die young instead of being promoted.
    const nodeOptions = [process.env.NODE_OPTIONS, YOUNG_64].filter(Boolean).join(' ');
    await sqliteEngine('engine-sqlite-young-64', 'young64', {}, { NODE_OPTIONS: nodeOptions });

    // The SQLite file is inspected once more from outside, as the check a user would make.
    const store = openSqliteStore({ path: dbPath, keyring: parseKeyring(ENCRYPTION_KEY) });
    await store.close();

    // The same engine and store answered without HTTP: what the engine's own work costs per user.
    const { figures: withoutHttp } = await sqliteEngine('engine-sqlite-no-http', 'replay', { replay: true });

    if (pgAvailable()) {
      for (const workers of ctx.pgWorkers ?? [1, 2]) {
        await sandbox.reset();
        const schema = freshSchema(`tp${workers}`);
        const pgStore = { kind: 'postgres' as const, connectionString: PG_URL, schema };
        try {
          await runEngine(
            { ...engineBase(pgStore), run: false, submit: { prefix: `pg${workers}`, from: 0, count: users } },
            timeoutMs,
          );
          const { reports: wr, wallMs } = await runTogether(
            Array.from({ length: workers }, () => ({
              name: 'engine',
              config: { ...engineBase(pgStore), leaseMs: 5_000 },
            })),
            timeoutMs,
          );
          const terminal = Math.max(...wr.map((r) => terminalOfCounts(r.counts)));
          if (terminal !== users) allTerminal = false;
          fig(
            `engine-pg-${workers}w`,
            {
              users,
              durationMs: pgWallMs(schema, wr, wallMs),
              maxRssKb: Math.max(...wr.map((r) => r.maxRssKb)),
              cpuMs: wr.reduce((a, r) => a + Number(r.cpuMs ?? 0), 0),
            },
            terminal,
          );
        } finally {
          dropSchema(schema);
        }
      }
    } else {
      ctx.log?.('  PostgreSQL unreachable: the pg contenders are skipped');
    }

    const rawMean = mean(raws.map((r) => r.usersPerSec))!;
    for (const c of contenders) {
      if (c !== withoutHttp && !sqliteRuns.includes(c)) c.ratioToRaw = round(c.usersPerSec / rawMean, 3);
    }
    const rawCpu = mean(raws.map((r) => r.cpuMsPerUser));
    const sandboxCpu = mean(sandboxCpuMsPerUser);
    const ownCpu = withoutHttp.cpuMsPerUser;
    const cpuFigures =
      rawCpu !== undefined && sandboxCpu !== undefined && ownCpu !== undefined
        ? {
            cpu: { raw: round(rawCpu, 3), sandbox: round(sandboxCpu, 3), engineWithoutHttp: ownCpu },
            rawCoreUse: round(((rawCpu + sandboxCpu) * rawMean) / 1000 / cpus().length, 2),
            cpuCeilingRatio: round((rawCpu + sandboxCpu) / (rawCpu + ownCpu + sandboxCpu), 3),
            ...(withoutHttp.threadMsPerUser !== undefined && {
              singleThreadCeilingRatio: round(rawCpu / (rawCpu + withoutHttp.threadMsPerUser), 3),
            }),
          }
        : {};
    return {
      users,
      concurrency: CONCURRENCY,
      contenders,
      rawMeanUsersPerSec: round(rawMean),
      sqlitePairRatios,
      sqliteRatio: median(sqlitePairRatios),
      allTerminal,
      ...cpuFigures,
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}

/**
 * From the first worker's start to the last commit in the store. Not the last worker's exit: an idle
 * worker can linger up to its lease after the work is done (nextWakeAt reports the other worker's
 * lease expiry and a terminal commit sends no NOTIFY; see BENCHMARKS.md), which is not throughput.
 */
export function pgWallMs(schema: string, reports: { startedAt: number }[], fallback: number): number {
  const last = Number(psql(`SELECT MAX(updated_at) FROM ${schema}.onboardings`).trim());
  const first = Math.min(...reports.map((r) => r.startedAt));
  return Number.isFinite(last) && last > first ? last - first : fallback;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : round((sorted[mid - 1]! + sorted[mid]!) / 2, 3);
}

function mean(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length;
}

export function terminalOfCounts(counts: unknown): number {
  const c = (counts ?? {}) as Record<string, number>;
  return (c.verified ?? 0) + (c.rejected ?? 0);
}
