// Worker processes on one PostgreSQL schema, and one in-process sandbox they all call.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyOverrides } from '@kyc-handoff/core';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { type CrossmintClient, createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createSandbox, type Sandbox, type SandboxOptions } from '@kyc-handoff/sandbox';
import { openPostgresStore, type PostgresStore } from '@kyc-handoff/store-postgres';
import { type BudgetLimits, createHandoff, type Handoff } from '../../src/index.js';
import { API_KEY } from './harness.js';

export const PG_URL = process.env.KYC_HANDOFF_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = resolve(here, '../../../../node_modules/.bin/tsx');
const CHILD = join(here, 'pg-worker-child.ts');
export const tsxAvailable = existsSync(tsx);

/** Every backend of a worker child is named `kyc-handoff-test-<schema>-w<id>`, to kill only those. */
const APP_PREFIX = 'kyc-handoff-test-';

/** What a worker child is told (as JSON on its command line). */
export interface WorkerSettings {
  concurrency: number;
  leaseMs: number;
  idleSweepMs: number;
  poolSize: number;
  budgets: BudgetLimits;
  policy: PolicyOverrides;
}

/** The JSON line a worker child prints when its run is over. */
export interface WorkerSummary {
  event: 'done';
  worker: string;
  /** Transitions this worker committed (its `subscribe` listener saw them). */
  transitions: number;
  /** Distinct users it moved at least once. */
  users: number;
  commits: number;
  writesGranted: number;
  readsGranted: number;
  durationMs: number;
  /** Engine warnings by message, e.g. `store unavailable; retrying`. */
  warnings: Record<string, number>;
}

export const POLICY: PolicyOverrides = { pollInitialMs: 20, pollMaxMs: 100, baseDelayMs: 20 };

export const DEFAULT_SETTINGS: WorkerSettings = {
  concurrency: 16,
  leaseMs: 1_500,
  idleSweepMs: 50,
  poolSize: 4,
  budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
  policy: POLICY,
};

/** Why PostgreSQL cannot be used, or undefined when it can. The URL is not echoed: it may hold a password. */
async function probe(): Promise<string | undefined> {
  const url = new URL(PG_URL);
  const reachable = await new Promise<string | undefined>((done) => {
    const socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) });
    const timer = setTimeout(() => {
      socket.destroy();
      done('connection timed out after 2 s');
    }, 2_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      done(undefined);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      done(error.message || String(error));
    });
  });
  if (reachable !== undefined) return reachable;
  try {
    const schema = freshSchemaName('kh_probe');
    const store = await openPostgresStore({
      connectionString: PG_URL,
      schema,
      keyring: parseKeyring(generateKey()),
      poolSize: 1,
    });
    await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store.close();
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  }
}

const reason = await probe();
if (reason !== undefined) {
  // Under CI a missing server is a broken setup, not a reason to pass quietly.
  if (process.env.CI) {
    throw new Error(
      `the multi-worker engine tests need PostgreSQL (KYC_HANDOFF_TEST_PG) and CI is set: ${reason}`,
    );
  }
  console.warn(
    `skipping the multi-worker PostgreSQL engine tests: no server at KYC_HANDOFF_TEST_PG (default 127.0.0.1:5432/test): ${reason}`,
  );
}

/** False when the tests must be skipped (never under CI: there the import above throws). */
export const postgresAvailable = reason === undefined;

export function freshSchemaName(prefix = 'kh_workers'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A small seeded generator, so kill moments are the same on every run. */
export function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkerProcess {
  /** The lease owner name the child uses: `worker-<id>`. */
  owner: string;
  child: ChildProcess;
  /** Resolves once the child has opened the store and starts its run. */
  running: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  summary(): WorkerSummary | undefined;
  stderr(): string;
  /** SIGKILL to the whole process group: tsx runs the script in a grandchild. */
  kill(): void;
}

export interface Fixture {
  sandbox: Sandbox;
  /** Base URL for the Crossmint client (`…/api`). */
  baseUrl: string;
  schema: string;
  /** The test's own store on the schema: submits, and runs the test's SQL through its pool. */
  store: PostgresStore;
  /** A handoff that only submits (it never runs). */
  submitter: Handoff;
  /** `Date.now()` at which each write request (any method but GET) reached the sandbox. */
  writeTimes: number[];
  workers: WorkerProcess[];
  startWorker(id: string, settings?: Partial<WorkerSettings>): WorkerProcess;
  submit(records: readonly unknown[], batchSize?: number): Promise<void>;
  /** Terminates every PostgreSQL backend of this fixture's workers; returns how many. */
  terminateWorkerBackends(): Promise<number>;
  close(): Promise<void>;
}

/** A fresh schema, a sandbox behind a loopback server that timestamps writes, and a store to submit with. */
export async function startFixture(sandboxOptions: SandboxOptions = {}): Promise<Fixture> {
  const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, seed: 7, ...sandboxOptions });
  const writeTimes: number[] = [];
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    if (req.method !== 'GET') writeTimes.push(Date.now());
    sandbox.handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}/api`;

  const schema = freshSchemaName();
  const key = generateKey();
  const store = await openPostgresStore({
    connectionString: PG_URL,
    schema,
    keyring: parseKeyring(key),
    poolSize: 4,
  });
  const crossmint: CrossmintClient = createCrossmintClient({ baseUrl }, { apiKey: API_KEY });
  const submitter = createHandoff({
    crossmint,
    store,
    budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
    // The policy is fixed in each onboarding's snapshot when it is submitted.
    policy: POLICY,
  });
  const workers: WorkerProcess[] = [];

  function startWorker(id: string, overrides: Partial<WorkerSettings> = {}): WorkerProcess {
    const settings: WorkerSettings = { ...DEFAULT_SETTINGS, ...overrides };
    const url = new URL(PG_URL);
    url.searchParams.set('application_name', `${APP_PREFIX}${schema}-w${id}`);
    const child = spawn(
      tsx,
      ['--conditions', 'source', CHILD, url.toString(), schema, baseUrl, id, JSON.stringify(settings)],
      {
        cwd: here,
        env: { ...process.env, KYC_HANDOFF_ENCRYPTION_KEY: key, KYC_HANDOFF_TEST_API_KEY: API_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let summary: WorkerSummary | undefined;
    let stderr = '';
    let exited = false;
    let buffered = '';
    let onRunning: () => void = () => undefined;
    const running = new Promise<void>((r) => {
      onRunning = r;
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const message = JSON.parse(line) as { event: string };
        if (message.event === 'running') onRunning();
        if (message.event === 'done') summary = message as WorkerSummary;
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on('exit', (code, signal) => {
        exited = true;
        r({ code, signal });
      }),
    );
    const worker: WorkerProcess = {
      owner: `worker-${id}`,
      child,
      running,
      exited: exit,
      hasExited: () => exited,
      summary: () => summary,
      stderr: () => stderr,
      kill() {
        if (!exited && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      },
    };
    workers.push(worker);
    return worker;
  }

  return {
    sandbox,
    baseUrl,
    schema,
    store,
    submitter,
    writeTimes,
    workers,
    startWorker,
    async submit(records, batchSize = 500) {
      for (let i = 0; i < records.length; i += batchSize) {
        const results = await submitter.submit(records.slice(i, i + batchSize));
        const refused = results.filter((r) => r.status !== 'created');
        if (refused.length > 0)
          throw new Error(`submit refused ${refused.length} records: ${refused[0]?.status}`);
      }
    },
    async terminateWorkerBackends() {
      const { rows } = await store.pool.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE $1`,
        [`${APP_PREFIX}${schema}-%`],
      );
      return rows.filter((r) => r.killed).length;
    },
    async close() {
      for (const worker of workers) worker.kill();
      await Promise.all(workers.map((w) => w.exited));
      await crossmint.close();
      await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await store.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await sandbox.close();
    },
  };
}

/** Waits for a worker to exit and returns its summary; a failure message carries its stderr. */
export async function finished(worker: WorkerProcess): Promise<WorkerSummary> {
  const { code, signal } = await worker.exited;
  const summary = worker.summary();
  if (code !== 0 || summary === undefined) {
    throw new Error(
      `${worker.owner} exited with code ${code} signal ${signal} (summary: ${summary !== undefined}); stderr:\n${worker.stderr()}`,
    );
  }
  return summary;
}

/** The largest number of `times` (sorted) that fall in any window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}
