import { createInterface } from 'node:readline';

/** The config passed as JSON in argv[2]. */
export function configOf<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: <child>.ts CONFIG_JSON');
  return JSON.parse(raw) as T;
}

/** CPU used before the work starts (loading modules, opening stores): not part of any figure. */
let cpuAtGo: NodeJS.CpuUsage | undefined;

/** Says ready, then waits for the parent's "go" line (so several contenders start together). */
export async function readyThenGo(waitForGo: boolean): Promise<void> {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  if (waitForGo) {
    const lines = createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => lines.once('line', () => resolve()));
    lines.close();
  }
  cpuAtGo = process.cpuUsage();
}

/** CPU (user + system, every thread) spent since "go", in ms. */
export function cpuMsSinceGo(): number {
  const cpu = process.cpuUsage(cpuAtGo);
  return Math.round((cpu.user + cpu.system) / 1000);
}

/** The report line: `{ users, durationMs, maxRssKb, cpuMs, … }`, CPU counted from "go". */
export function report(
  figures: { users: number; durationMs: number; startedAt: number; endedAt: number } & Record<
    string,
    unknown
  >,
): void {
  process.stdout.write(
    `${JSON.stringify({ ...figures, maxRssKb: process.resourceUsage().maxRSS, cpuMs: cpuMsSinceGo() })}\n`,
  );
}
