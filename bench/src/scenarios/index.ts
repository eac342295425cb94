import { round } from '../lib/machine.js';
import { type BacklogResult, backlog } from './backlog.js';
import { type BulkSupplyResult, bulkSupply } from './bulk-supply.js';
import { type ConsoleResult, consoleScenario } from './console.js';
import { type CrashResult, crash } from './crash.js';
import { type DocumentsResult, documents } from './documents.js';
import { type ExportResult, exportScenario } from './export.js';
import { type MemoryResult, memory } from './memory.js';
import { type PgScaleResult, pgScale } from './pg-scale.js';
import { type RateResult, rate } from './rate.js';
import { type SoakResult, soak } from './soak.js';
import { type ThroughputResult, throughput } from './throughput.js';

export interface Target {
  target: string;
  measured: string | number;
  met: boolean | 'n/a';
}

const throughputScenario = {
  about:
    'users/s of the full flow: raw undici ceiling vs the engine on SQLite and on PostgreSQL (1 and 2 workers)',
  run: throughput,
  summarize: (r: ThroughputResult) => ({
    table: r.contenders.map((c) => ({ ...c })),
    targets: [
      {
        target: `engine on SQLite >= 0.5x raw (median of ${r.sqlitePairRatios.length}, each run between two raw runs: ${r.sqlitePairRatios.join(', ')})`,
        measured: r.sqliteRatio,
        met: r.sqliteRatio >= 0.5,
      },
      ...(r.cpuCeilingRatio === undefined
        ? []
        : [
            {
              target: `CPU ceiling on this box (raw and sandbox use ${r.rawCoreUse} of all cores)`,
              measured: r.cpuCeilingRatio,
              met: 'n/a' as const,
            },
          ]),
      ...(r.singleThreadCeilingRatio === undefined
        ? []
        : [
            {
              target: 'single-thread ceiling: raw / (raw + the engine thread without HTTP), CPU ms per user',
              measured: r.singleThreadCeilingRatio,
              met: 'n/a' as const,
            },
          ]),
      { target: 'every engine user terminal', measured: String(r.allTerminal), met: r.allTerminal },
    ] satisfies Target[],
  }),
};

const rateScenario = {
  about: 'a backlog larger than the budget against a sandbox limited to 600 writes / 1,800 reads a minute',
  run: rate,
  summarize: (r: RateResult) => ({
    table: [{ ...r }],
    targets: [
      { target: '429s = 0', measured: r.rateLimited, met: r.rateLimited === 0 },
      {
        target: 'write budget used >= 95%',
        measured: r.writeBudgetShare,
        met: r.writeBudgetShare >= 0.95,
      },
    ] satisfies Target[],
  }),
};

const backlogScenario = {
  about:
    'reviews that take 10 minutes against 600 writes / 120 reads a minute: users pile up under review, new ones must still get the whole write budget',
  run: backlog,
  summarize: (r: BacklogResult) => ({
    table: [{ ...r }],
    targets: [
      { target: 'write budget used >= 95%', measured: r.writeBudgetShare, met: r.writeBudgetShare >= 0.95 },
      { target: 'read budget used >= 90%', measured: r.readBudgetShare, met: r.readBudgetShare >= 0.9 },
      { target: '429s = 0', measured: r.rateLimited, met: r.rateLimited === 0 },
    ] satisfies Target[],
  }),
};

const endTargets = (terminal: number, users: number, conflicting: number): Target[] => [
  { target: 'every user terminal', measured: `${terminal}/${users}`, met: terminal === users },
  { target: 'no endpoint with two different bodies', measured: conflicting, met: conflicting === 0 },
];

const soakScenario = {
  about: '10% faults of every kind, 50 ms latency: everyone terminal, no conflicting bodies, slowdown',
  run: soak,
  summarize: (r: SoakResult) => {
    const { checks, faultsInjected, states, ...rest } = r;
    return {
      table: [{ ...rest, ...checks, faults: Object.values(faultsInjected).reduce((a, b) => a + b, 0) }],
      targets: endTargets(r.terminal, r.users, checks.conflicting),
    };
  },
};

const crashScenario = {
  about: 'kyc-handoff import SIGKILLed at seeded random moments and restarted, then finished',
  run: crash,
  summarize: (r: CrashResult) => {
    const { checks, requestsAtKills, counts, ...rest } = r;
    return { table: [{ ...rest, ...checks }], targets: endTargets(r.terminal, r.users, checks.conflicting) };
  },
};

const pgScaleScenario = {
  about: 'users/s with 1, 2 and 4 PostgreSQL workers (API latency 20 ms), and claim latency on 10^6 rows',
  run: pgScale,
  summarize: (r: PgScaleResult) => {
    const two = r.workers.find((w) => w.workers === 2)?.speedup ?? 0;
    return {
      table: [...r.workers, ...r.claim],
      targets: [{ target: '2 workers >= 1.8x one', measured: two, met: two >= 1.8 }] satisfies Target[],
    };
  },
};

const memoryScenario = {
  about: 'kyc-handoff import --no-wait of a large NDJSON file: peak RSS, then status and resume times',
  run: memory,
  summarize: (r: MemoryResult) => {
    const { importSummary, statusCounts, ...rest } = r;
    return {
      table: [rest],
      targets: [
        { target: 'import peak RSS < 300 MB', measured: r.importPeakRssMb, met: r.importPeakRssMb < 300 },
        {
          target: 'resume with nothing left < 5 s',
          measured: r.resumeNothingLeftMs,
          met: r.resumeNothingLeftMs < 5_000,
        },
      ] satisfies Target[],
    };
  },
};

const documentsScenario = {
  about: 'import of users uploading 9 MB documents at a concurrency that would read them all at once',
  run: documents,
  summarize: (r: DocumentsResult) => ({
    table: [{ ...r }],
    targets: [
      {
        target: 'peak RSS with the 64 MB document budget < 400 MB',
        measured: r.boundedPeakRssMb,
        met: r.boundedPeakRssMb < 400,
      },
      { target: 'every user verified', measured: String(r.allVerified), met: r.allVerified },
    ] satisfies Target[],
  }),
};

const exportRunScenario = {
  about:
    'kyc-handoff export --out FILE (NDJSON and CSV) of a store of 10^6 onboardings, on SQLite and PostgreSQL: rows/s and peak RSS',
  run: exportScenario,
  summarize: (r: ExportResult) => ({
    table: r.runs.map((x) => ({ ...x })),
    targets: [
      { target: 'export >= 50,000 rows/s', measured: r.minRowsPerSec, met: r.minRowsPerSec >= 50_000 },
      { target: 'export peak RSS < 150 MB', measured: r.maxPeakRssMb, met: r.maxPeakRssMb < 150 },
      { target: 'every row written', measured: String(r.allRowsWritten), met: r.allRowsWritten },
    ] satisfies Target[],
  }),
};

const bulkSupplyScenario = {
  about:
    'supply --file of 10,000 lines (a passport each) to 10,000 users waiting for an id document: lines/s, peak RSS, all verified',
  run: bulkSupply,
  summarize: (r: BulkSupplyResult) => ({
    table: [{ ...r }],
    targets: [
      { target: 'every user verified', measured: `${r.verified}/${r.users}`, met: r.allVerified },
      { target: 'lines/s (figure only)', measured: r.linesPerSec, met: 'n/a' as const },
    ] satisfies Target[],
  }),
};

const consoleRunScenario = {
  about:
    'kyc-handoff console over a store of 10^6 onboardings (SQLite and PostgreSQL): each page and live fragment, slowest of 5 loads',
  run: consoleScenario,
  summarize: (r: ConsoleResult) => ({
    table: r.pages.map((x) => ({ ...x })),
    targets: [
      { target: 'every console page < 1 s on 10^6 rows', measured: r.slowestMs, met: r.slowestMs < 1_000 },
      {
        target: 'first page after start (waits for the counts; figure only)',
        measured: r.slowestFirstMs,
        met: 'n/a' as const,
      },
      { target: 'every page answered 200', measured: String(r.allOk), met: r.allOk },
    ] satisfies Target[],
  }),
};

export const SCENARIOS = {
  throughput: throughputScenario,
  'pg-scale': pgScaleScenario,
  memory: memoryScenario,
  rate: rateScenario,
  backlog: backlogScenario,
  soak: soakScenario,
  crash: crashScenario,
  documents: documentsScenario,
  export: exportRunScenario,
  'bulk-supply': bulkSupplyScenario,
  console: consoleRunScenario,
} as const;

export { round };
