// The engine of this checkout against the engine of another built checkout (an earlier revision),
// on the throughput flow, in one run: the only way to tell on a box whose speed drifts by tens of
// percent within minutes whether a change made the engine faster or slower.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EngineChildConfig } from './children/engine.js';
import { BENCH_DIR, round } from './lib/machine.js';
import type { ChildReport } from './lib/proc.js';
import { API_KEY } from './lib/records.js';
import { startSandbox } from './lib/sandbox.js';
import { runTogether, tempDir } from './scenarios/common.js';
import { CONCURRENCY, FAST_POLICY, median, terminalOfCounts } from './scenarios/throughput.js';

export interface CompareOptions {
  /** The root of the other checkout, built (`pnpm turbo run build`) with its dependencies installed. */
  against: string;
  users: number;
  /** Each round runs both engines once, in alternating order. */
  rounds: number;
  /** Without HTTP (each engine's replay port): compares the engines' own work, in CPU ms per user. */
  noHttp: boolean;
  /** The other checkout predates `'unlimited'` budgets (before 2026-12): there 0 meant unlimited. */
  zeroIsUnlimited: boolean;
  log?: (line: string) => void;
}

export interface EngineRun {
  tree: 'this' | 'other';
  usersPerSec: number;
  cpuMsPerUser: number;
  terminal: number;
  /** With HTTP: this run's rate ÷ the mean of the raw runs just before and just after it. */
  ratioToRaw?: number;
}

export interface CompareResult {
  against: { dir: string; revision: string | undefined };
  users: number;
  noHttp: boolean;
  runs: EngineRun[];
  rawUsersPerSec: number[];
  /** Median of each tree's `ratioToRaw` (with HTTP) or `cpuMsPerUser` (without). */
  median: { this: number; other: number };
  /** Per round, this tree's figure ÷ the other's: above 1 is faster (with HTTP) or costlier (without). */
  roundQuotients: number[];
  /** Per round, this tree's CPU ms per user ÷ the other's: below 1 is cheaper. */
  cpuRoundQuotients: number[];
}

/** Why `dir` cannot be compared against, or undefined when it can. */
export function problemWithCheckout(dir: string): string | undefined {
  if (!existsSync(join(dir, 'bench/src/children/engine.ts'))) {
    return `${dir} is not a kyc-handoff checkout with a bench (no bench/src/children/engine.ts): pass the root of one`;
  }
  if (!existsSync(join(dir, 'packages/engine/dist/index.js'))) {
    return `${dir} is not built (no packages/engine/dist/index.js): run \`pnpm install && pnpm turbo run build\` in it first`;
  }
  return undefined;
}

function revisionOf(dir: string): string | undefined {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export async function compareEngines(options: CompareOptions): Promise<CompareResult> {
  const other = resolve(options.against);
  const problem = problemWithCheckout(other);
  if (problem !== undefined) throw new Error(problem);
  if (!Number.isInteger(options.users) || options.users < 1) {
    throw new Error(`--users must be a whole number of at least 1, not ${options.users}`);
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) {
    throw new Error(`--rounds must be a whole number of at least 1, not ${options.rounds}`);
  }
  const timeoutMs = 30 * 60_000;
  const sandbox = await startSandbox({ verifyAfterPolls: 1 });
  const tmp = tempDir('compare');
  let runCount = 0;
  const rateOf = (r: ChildReport) => r.users / (r.durationMs / 1000);
  const raw = async (): Promise<number> => {
    await sandbox.reset();
    const config = {
      baseUrl: sandbox.baseUrl,
      apiKey: API_KEY,
      prefix: `raw${runCount++}`,
      users: options.users,
      concurrency: CONCURRENCY,
    };
    const { reports } = await runTogether([{ name: 'raw', config }], timeoutMs);
    return rateOf(reports[0]!);
  };
  const engine = async (tree: 'this' | 'other'): Promise<EngineRun> => {
    await sandbox.reset();
    const prefix = `${tree}${runCount++}`;
    const unlimited = tree === 'other' && options.zeroIsUnlimited ? 0 : 'unlimited';
    const config = {
      store: { kind: 'sqlite', path: join(tmp.dir, `${prefix}.db`) },
      baseUrl: sandbox.baseUrl,
      apiKey: API_KEY,
      run: true,
      concurrency: CONCURRENCY,
      budgets: { writesPerMinute: unlimited, readsPerMinute: unlimited },
      policy: FAST_POLICY,
      idleSweepMs: 100,
      submit: { prefix, from: 0, count: options.users },
      ...(options.noHttp && { replay: true }),
      // The other checkout's child reads this too: its config may predate this one's types (budgets of 0).
    } as unknown as EngineChildConfig;
    const { reports } = await runTogether(
      [{ name: 'engine', config, benchDir: tree === 'this' ? BENCH_DIR : join(other, 'bench') }],
      timeoutMs,
    );
    const r = reports[0]!;
    return {
      tree,
      usersPerSec: round(rateOf(r)),
      cpuMsPerUser: round(Number(r.cpuMs) / r.users, 3),
      terminal: terminalOfCounts(r.counts),
    };
  };

  try {
    const runs: EngineRun[] = [];
    const rawRates: number[] = [];
    if (!options.noHttp) rawRates.push(await raw());
    for (let i = 0; i < options.rounds; i++) {
      const order: ('this' | 'other')[] = i % 2 === 0 ? ['this', 'other'] : ['other', 'this'];
      for (const tree of order) {
        const run = await engine(tree);
        if (!options.noHttp) {
          rawRates.push(await raw());
          const bracket = (rawRates.at(-2)! + rawRates.at(-1)!) / 2;
          run.ratioToRaw = round(run.usersPerSec / bracket, 3);
        }
        runs.push(run);
        options.log?.(
          `  round ${i + 1}, ${tree}: ${run.usersPerSec} users/s, ${run.cpuMsPerUser} CPU ms/user` +
            (run.ratioToRaw === undefined ? '' : `, ${run.ratioToRaw}× the raw runs around it`),
        );
      }
    }
    const figure = (run: EngineRun) => (options.noHttp ? run.cpuMsPerUser : run.ratioToRaw!);
    const of = (tree: 'this' | 'other', pick = figure) => runs.filter((r) => r.tree === tree).map(pick);
    const mine = of('this');
    const theirs = of('other');
    const cpu = (run: EngineRun) => run.cpuMsPerUser;
    const theirCpu = of('other', cpu);
    return {
      against: { dir: other, revision: revisionOf(other) },
      users: options.users,
      noHttp: options.noHttp,
      runs,
      rawUsersPerSec: rawRates.map((r) => round(r)),
      median: { this: round(median(mine), 3), other: round(median(theirs), 3) },
      roundQuotients: mine.map((x, i) => round(x / theirs[i]!, 3)),
      cpuRoundQuotients: of('this', cpu).map((x, i) => round(x / theirCpu[i]!, 3)),
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
