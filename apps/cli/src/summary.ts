import { type StateCounts, TOP_LEVEL_STATES, type TopLevelState } from '@kyc-handoff/core';

/** States in which an onboarding needs nothing more from this run. */
export const SETTLED_STATES = [
  'verified',
  'rejected',
  'requiresData',
  'failed',
] as const satisfies readonly TopLevelState[];
/** States before the verification was triggered. */
export const PRE_TRIGGER_STATES = [
  'policyPending',
  'userCreated',
] as const satisfies readonly TopLevelState[];

export interface Tally {
  total: number;
  verified: number;
  rejected: number;
  requiresData: number;
  failed: number;
  pending: number;
}

export function tally(counts: StateCounts): Tally {
  const get = (state: TopLevelState) => counts[state] ?? 0;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const settled = SETTLED_STATES.reduce((sum, s) => sum + get(s), 0);
  return {
    total,
    verified: get('verified'),
    rejected: get('rejected'),
    requiresData: get('requiresData'),
    failed: get('failed'),
    pending: total - settled,
  };
}

/** `import --json`: the contract in DESIGN.md. */
export interface ImportSummary {
  total: number;
  verified: number;
  rejected: number;
  requiresData: number;
  failed: number;
  /** Of the failed, those this run set aside because their stored row or record could not be read. */
  quarantined: number;
  invalid: number;
  pending: number;
  durationMs: number;
  usersPerSecond: number;
  /**
   * Between two polls of a user under review, what the read budget allows at the end of the run
   * (users under review ÷ reads a minute); null when reads are unlimited.
   */
  pollIntervalMs: number | null;
}

export function importSummary(
  counts: StateCounts,
  read: { records: number; refused: number },
  durationMs: number,
  run: { quarantined?: number; pollIntervalMs?: number | null } = {},
): ImportSummary {
  const t = tally(counts);
  const accepted = read.records - read.refused;
  return {
    total: read.records,
    verified: t.verified,
    rejected: t.rejected,
    requiresData: t.requiresData,
    failed: t.failed,
    quarantined: run.quarantined ?? 0,
    invalid: read.refused,
    pending: t.pending,
    durationMs: Math.round(durationMs),
    usersPerSecond: durationMs > 0 ? Math.round((accepted / (durationMs / 1000)) * 10) / 10 : 0,
    pollIntervalMs: run.pollIntervalMs ?? null,
  };
}

function table(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.max(...rows.map(([, v]) => String(v).length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${String(v).padStart(valueWidth)}`).join('\n');
}

export function formatSummary(
  summary: ImportSummary,
  options: { store: string; storeTotal: number },
): string {
  const lines = [
    `Summary (${options.store})`,
    table([
      ['records read', summary.total],
      ['refused (see report)', summary.invalid],
      ['verified', summary.verified],
      ['rejected', summary.rejected],
      ['requires data', summary.requiresData],
      ['failed', summary.failed],
      ...(summary.quarantined > 0
        ? [['  quarantined (unreadable; see status)', summary.quarantined] as [string, number]]
        : []),
      ['pending', summary.pending],
      ...(summary.pollIntervalMs !== null && summary.pollIntervalMs > 0
        ? [
            ['poll interval (read budget)', `${(summary.pollIntervalMs / 1000).toFixed(1)} s`] as [
              string,
              string,
            ],
          ]
        : []),
      ['duration', `${(summary.durationMs / 1000).toFixed(1)} s`],
      ['users/s', summary.usersPerSecond],
    ]),
  ];
  const accepted = summary.total - summary.invalid;
  if (options.storeTotal !== accepted) {
    lines.push(
      `  (state counts cover all ${options.storeTotal} onboardings in the store, not only this file's ${accepted})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatCounts(counts: StateCounts): string {
  const order: readonly string[] = TOP_LEVEL_STATES;
  const states = [
    ...order,
    ...Object.keys(counts)
      .filter((s) => !order.includes(s))
      .sort(),
  ];
  const t = tally(counts);
  // A state this version does not know (a newer writer's) is still shown: counts are counts.
  const of = counts as Record<string, number | undefined>;
  return `${table([...states.map((s): [string, number] => [s, of[s] ?? 0]), ['total', t.total]])}\n`;
}

export interface Breakdown {
  errorKinds: Record<string, number>;
  requestedItems: Record<string, number>;
}

/** Why users wait, for plain `status`: nothing when nobody has an error or waits for data. */
export function formatBreakdown(breakdown: Breakdown): string {
  const section = (title: string, counts: Record<string, number>) => {
    const rows = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    return rows.length === 0 ? '' : `${title}\n${table(rows)}\n`;
  };
  return [
    section('By last error (kind):', breakdown.errorKinds),
    section('Waiting for data, by what Crossmint asked for:', breakdown.requestedItems),
  ].join('');
}
