import { round } from '../lib/machine.js';
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

export const SCENARIOS = {
  throughput: throughputScenario,
} as const;

export { round };
