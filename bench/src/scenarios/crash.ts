import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { type EndChecks, sandboxChecks } from '../lib/checks.js';
import { seeded } from '../lib/machine.js';
import { writeNdjson } from '../lib/ndjson.js';
import { runCli } from '../lib/proc.js';
import { API_KEY } from '../lib/records.js';
import { startSandbox } from '../lib/sandbox.js';
import { ENCRYPTION_KEY, type ScenarioContext, tempDir } from './common.js';

export interface CrashResult {
  users: number;
  kills: number;
  /** Kills that landed while the import was working (the others found it finished). */
  killsLanded: number;
  requestsAtKills: number[];
  finalExit: number | null;
  counts: Record<string, number>;
  terminal: number;
  checks: EndChecks;
}

/** `kyc-handoff import` SIGKILLed at seeded random moments, restarted each time, then finished. */
export async function crash(ctx: ScenarioContext): Promise<CrashResult> {
  const users = ctx.users ?? (ctx.quick ? 300 : 3_000);
  const kills = ctx.kills ?? (ctx.quick ? 4 : 20);
  const random = seeded(ctx.seed ?? 20_261_126);
  const sandbox = await startSandbox({ verifyAfterPolls: 1, latencyMs: 5 });
  const tmp = tempDir('crash');
  const file = join(tmp.dir, 'users.ndjson');
  await writeNdjson(file, 'crash', users, 7);
  const store = `sqlite:${join(tmp.dir, 'crash.db')}`;
  const args = [
    'import',
    file,
    '--json',
    '--store',
    store,
    '--base-url',
    sandbox.baseUrl,
    '--concurrency',
    '16',
    '--writes-per-min',
    '0',
    '--reads-per-min',
    '0',
    '--poll-ms',
    '10',
    '--lease-ms',
    '2000',
  ];
  const env = { CROSSMINT_API_KEY: API_KEY, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY };
  // Spread the kills over the ~4 requests per user, each a random step after the previous one.
  const meanStep = (users * 4) / (kills + 1);
  const requestsAtKills: number[] = [];
  let killsLanded = 0;
  try {
    for (let k = 0; k < kills; k++) {
      const before = (await sandbox.stats()).total;
      const target = before + Math.max(5, Math.floor(meanStep * (0.3 + random() * 0.9)));
      let child: ChildProcess | undefined;
      const run = runCli(args, {
        env,
        timeoutMs: 10 * 60_000,
        onSpawn: (c) => {
          child = c;
        },
      });
      let done = false;
      void run.then(() => {
        done = true;
      });
      while (!done && (await sandbox.stats()).total < target) await new Promise((r) => setTimeout(r, 20));
      const finishedByItself = done;
      if (!finishedByItself) {
        child?.kill('SIGKILL');
        killsLanded++;
      }
      await run;
      requestsAtKills.push((await sandbox.stats()).total);
      if (finishedByItself) break;
    }
    const last = await runCli(args, { env, timeoutMs: 10 * 60_000 });
    const status = await runCli(['status', '--json', '--store', store], { env, timeoutMs: 60_000 });
    const counts = JSON.parse(status.stdout) as Record<string, number>;
    const checks = await sandboxChecks(sandbox, API_KEY, 'crash', users);
    return {
      users,
      kills,
      killsLanded,
      requestsAtKills,
      finalExit: last.code,
      counts,
      terminal: (counts.verified ?? 0) + (counts.rejected ?? 0),
      checks,
    };
  } finally {
    await sandbox.close();
    tmp.cleanup();
  }
}
