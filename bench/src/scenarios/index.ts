import { round } from '../lib/machine.js';
import { type CrashResult, crash } from './crash.js';
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
      { target: 'engine on SQLite >= 0.8x raw', measured: r.sqliteRatio, met: r.sqliteRatio >= 0.8 },
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

export const SCENARIOS = {
  throughput: throughputScenario,
  rate: rateScenario,
  soak: soakScenario,
  crash: crashScenario,
} as const;

export { round };
