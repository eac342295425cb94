import { createInterface } from 'node:readline';

/** The config passed as JSON in argv[2]. */
export function configOf<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: <child>.ts CONFIG_JSON');
  return JSON.parse(raw) as T;
}

/** Says ready, then waits for the parent's "go" line (so several contenders start together). */
export async function readyThenGo(waitForGo: boolean): Promise<void> {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  if (!waitForGo) return;
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
}

/** The report line: `{ users, durationMs, maxRssKb, … }`. */
export function report(
  figures: { users: number; durationMs: number; startedAt: number; endedAt: number } & Record<
    string,
    unknown
  >,
): void {
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ ...figures, maxRssKb: usage.maxRSS, cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000) })}\n`,
  );
}
