import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { CrossmintPort, OnboardingStore } from '@kyc-handoff/core';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createHandoff } from '@kyc-handoff/engine';
import { openPostgresStore } from '@kyc-handoff/store-postgres';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { round } from '../lib/machine.js';
import { PG_URL, pgAvailable } from '../lib/pg.js';
import { runCli } from '../lib/proc.js';
import { benchRecord } from '../lib/records.js';
import { ENCRYPTION_KEY, type ScenarioContext, tempDir } from './common.js';

export interface ExportFigures {
  store: 'sqlite' | 'postgres';
  format: 'ndjson' | 'csv';
  rows: number;
  /** Rows the export wrote (the CSV header not counted): must equal `rows`. */
  written: number;
  buildMs: number;
  durationMs: number;
  rowsPerSec: number;
  peakRssMb: number;
  fileMb: number;
}

export interface ExportResult {
  rows: number;
  runs: ExportFigures[];
  /** Slowest run's rows/s and largest peak RSS: the figures the targets are about. */
  minRowsPerSec: number;
  maxPeakRssMb: number;
  allRowsWritten: boolean;
}

const NO_CROSSMINT = new Proxy({} as CrossmintPort, {
  get() {
    throw new Error('the export bench never calls Crossmint');
  },
});

type Json = Record<string, unknown>;

/**
 * The snapshots the generated rows carry, made from the real one of a submitted onboarding: 60%
 * verified, 10% rejected, 10% waiting for data, 10% failed, 10% under review, each with the
 * context the listing reads (eligibility, requested items, failure).
 */
function variants(
  template: Json,
): { state: string; outcome: string | null; lastError: string | null; snapshot: string }[] {
  const context = template.context as Json;
  const make = (value: unknown, over: Json) =>
    JSON.stringify({ ...template, value, context: { ...context, ...over } });
  const eligibility = (offramp: string) => [
    { type: 'offramp', status: offramp },
    { type: 'onramp', status: 'not-started' },
  ];
  return [
    {
      state: 'verified',
      outcome: 'verified',
      lastError: null,
      snapshot: make('verified', { outcome: 'verified', eligibility: eligibility('verified') }),
    },
    {
      state: 'rejected',
      outcome: 'rejected',
      lastError: null,
      snapshot: make('rejected', { outcome: 'rejected', eligibility: eligibility('rejected') }),
    },
    {
      state: 'requiresData',
      outcome: null,
      lastError: null,
      snapshot: make('requiresData', {
        eligibility: eligibility('requires-data'),
        requested: { missingData: ['due-diligence'], missingDocuments: ['id', 'selfie'] },
      }),
    },
    {
      state: 'failed',
      outcome: null,
      lastError: 'transient in triggering: no answer from the server',
      snapshot: make('failed', {
        failure: { step: 'triggering', reason: 'transient', message: 'no answer from the server' },
      }),
    },
    {
      state: 'verificationPending',
      outcome: null,
      lastError: null,
      snapshot: make({ verificationPending: 'waiting' }, { eligibility: eligibility('pending-review') }),
    },
  ];
}

/** Which variant row i gets: 0-5 verified, 6 rejected, 7 requiresData, 8 failed, 9 under review. */
const SQL_VARIANT = (i: string) =>
  `CASE ${i} % 10 WHEN 6 THEN 1 WHEN 7 THEN 2 WHEN 8 THEN 3 WHEN 9 THEN 4 ELSE 0 END`;

/** One real onboarding submitted through the engine: its stored snapshot is the template. */
async function submitTemplate(store: OnboardingStore): Promise<Json> {
  const handoff = createHandoff({ store, crossmint: NO_CROSSMINT });
  const [result] = await handoff.submit([benchRecord('exp-template', 0)]);
  if (result?.status !== 'created')
    throw new Error(`the template onboarding was not created: ${JSON.stringify(result)}`);
  const row = await store.get('exp-template-0');
  if (row === undefined) throw new Error('the template onboarding is not stored');
  return row.snapshot as unknown as Json;
}

export async function buildSqlite(path: string, rows: number): Promise<number> {
  const store = openSqliteStore({ path, keyring: parseKeyring(ENCRYPTION_KEY) });
  try {
    const started = performance.now();
    const v = variants(await submitTemplate(store));
    const now = Date.now();
    store.raw
      .prepare(
        `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?),
         v(k, state, outcome, last_error, snapshot) AS (VALUES ${v.map(() => '(?, ?, ?, ?, ?)').join(', ')})
         INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, attempts, last_error, outcome, created_at, updated_at)
         SELECT printf('exp-%07d', i), v.state, v.snapshot, 1, 1, NULL, 1 + i % 3, v.last_error, v.outcome, ? - i, ? - i
         FROM s JOIN v ON v.k = ${SQL_VARIANT('i')}`,
      )
      .run(rows - 1, ...v.flatMap((x, k) => [k, x.state, x.outcome, x.lastError, x.snapshot]), now, now);
    store.raw.exec('ANALYZE');
    return Math.round(performance.now() - started);
  } finally {
    await store.close();
  }
}

export function psqlOn(url: string, sql: string): void {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8' });
}

const quote = (s: string | null) => (s === null ? 'NULL' : `'${s.replaceAll("'", "''")}'`);

export async function buildPostgres(url: string, rows: number): Promise<number> {
  const store = await openPostgresStore({ connectionString: url, keyring: parseKeyring(ENCRYPTION_KEY) });
  try {
    const started = performance.now();
    const v = variants(await submitTemplate(store));
    const now = Date.now();
    psqlOn(
      url,
      `WITH v(k, state, outcome, last_error, snapshot) AS (VALUES ${v
        .map(
          (x, k) =>
            `(${k}, ${quote(x.state)}, ${quote(x.outcome)}, ${quote(x.lastError)}, ${quote(x.snapshot)}::jsonb)`,
        )
        .join(', ')})
       INSERT INTO kyc_handoff.onboardings (user_id, state, snapshot, machine_version, version, wake_at, attempts, last_error, outcome, created_at, updated_at)
       SELECT 'exp-' || lpad(i::text, 7, '0'), v.state, v.snapshot, 1, 1, NULL, 1 + i % 3, v.last_error, v.outcome, ${now} - i, ${now} - i
       FROM generate_series(1, ${rows - 1}) AS i JOIN v ON v.k = ${SQL_VARIANT('i')};
       ANALYZE kyc_handoff.onboardings;`,
    );
    return Math.round(performance.now() - started);
  } finally {
    await store.close();
  }
}

/**
 * Runs `use` against a scratch PostgreSQL database, dropped afterwards; says so and does nothing
 * when no server answers.
 */
export async function withScratchDatabase(
  label: string,
  ctx: ScenarioContext,
  use: (url: string) => Promise<void>,
): Promise<void> {
  if (!pgAvailable()) {
    ctx.log?.(`  PostgreSQL is not reachable at ${PG_URL} (set BENCH_PG_URL): SQLite only`);
    return;
  }
  const database = `bench_${label}_${process.pid}`;
  const url = `${PG_URL.replace(/\/[^/]*$/, '')}/${database}`;
  psqlOn(PG_URL, `DROP DATABASE IF EXISTS ${database}`);
  psqlOn(PG_URL, `CREATE DATABASE ${database}`);
  try {
    await use(url);
  } finally {
    psqlOn(PG_URL, `DROP DATABASE IF EXISTS ${database}`);
  }
}

/** `kyc-handoff export` of a store of 10^6 onboardings (quick: 10^5), NDJSON and CSV, SQLite and PostgreSQL. */
export async function exportScenario(ctx: ScenarioContext): Promise<ExportResult> {
  const rows = ctx.lines ?? (ctx.quick ? 100_000 : 1_000_000);
  const tmp = tempDir('export');
  const runs: ExportFigures[] = [];
  const env = { KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY, CROSSMINT_API_KEY: '', CROSSMINT_BASE_URL: '' };
  const time = async (store: ExportFigures['store'], spec: string, buildMs: number) => {
    for (const format of ['ndjson', 'csv'] as const) {
      const out = join(tmp.dir, `${store}.${format}`);
      const r = await runCli(['export', '--store', spec, '--format', format, '--out', out], {
        env,
        timeoutMs: 30 * 60_000,
      });
      if (r.code !== 0) throw new Error(`export exited with ${r.code}: ${r.stderr.slice(-2000)}`);
      const written = Number(/exported (\d+) onboarding/.exec(r.stderr)?.[1] ?? -1);
      const figures: ExportFigures = {
        store,
        format,
        rows,
        written,
        buildMs,
        durationMs: Math.round(r.durationMs),
        rowsPerSec: Math.round(rows / (r.durationMs / 1000)),
        peakRssMb: round(r.peakRssKb / 1024),
        fileMb: round(statSync(out).size / 2 ** 20, 1),
      };
      runs.push(figures);
      ctx.log?.(`  ${store} ${format}: ${figures.rowsPerSec} rows/s, peak ${figures.peakRssMb} MB`);
    }
  };
  try {
    const sqlitePath = join(tmp.dir, 'export.db');
    const sqliteBuild = await buildSqlite(sqlitePath, rows);
    await time('sqlite', `sqlite:${sqlitePath}`, sqliteBuild);
    await withScratchDatabase('export', ctx, async (url) => {
      await time('postgres', url, await buildPostgres(url, rows));
    });
  } finally {
    tmp.cleanup();
  }
  return {
    rows,
    runs,
    minRowsPerSec: Math.min(...runs.map((r) => r.rowsPerSec)),
    maxPeakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    allRowsWritten: runs.every((r) => r.written === rows),
  };
}
