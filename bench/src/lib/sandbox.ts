import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { CLI, processCpuMs, requireCli } from './proc.js';

export interface SandboxFlags {
  writesPerMin?: number;
  readsPerMin?: number;
  verifyAfterPolls?: number;
  /** Reviews end this long after the trigger (sandbox time) instead of after a number of polls. */
  verifyAfterMs?: number;
  latencyMs?: number;
  faultRate?: number;
  hangMs?: number;
  seed?: number;
}

export interface SandboxStatsView {
  total: number;
  byStatus: Record<string, number>;
  faults: Record<string, number>;
  rateLimited: number;
  byRoute: Record<string, { total: number; byStatus: Record<string, number>; faults: number }>;
}

export interface UserWrites {
  writes: Record<string, number>;
  bodyHashes: Record<string, string[]>;
}

export interface SandboxProcess {
  url: string;
  baseUrl: string;
  pid: number;
  /** CPU the sandbox process has used so far (user + system), in ms; undefined where /proc is missing. */
  cpuMs(): number | undefined;
  stats(): Promise<SandboxStatsView>;
  user(apiKey: string, locator: string): Promise<UserWrites | undefined>;
  reset(): Promise<void>;
  configure(patch: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

async function admin(url: string, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) {
  const res = await request(`${url}/__sandbox/${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** The sandbox in its own process, through the built CLI, on a free loopback port. */
export async function startSandbox(flags: SandboxFlags): Promise<SandboxProcess> {
  requireCli();
  const args = [
    CLI,
    'sandbox',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--writes-per-min',
    String(flags.writesPerMin ?? 0),
    '--reads-per-min',
    String(flags.readsPerMin ?? 0),
    '--verify-after-polls',
    String(flags.verifyAfterPolls ?? 1),
    ...(flags.verifyAfterMs === undefined ? [] : ['--verify-after-ms', String(flags.verifyAfterMs)]),
    '--latency-ms',
    String(flags.latencyMs ?? 0),
    '--fault-rate',
    String(flags.faultRate ?? 0),
    '--hang-ms',
    String(flags.hangMs ?? 3_000),
    '--seed',
    String(flags.seed ?? 1),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      const m = /^listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
      else reject(new Error(`the sandbox printed ${JSON.stringify(line)} instead of "listening on …"`));
    });
    child.once('exit', (code) => reject(new Error(`the sandbox exited with ${code} before listening`)));
  });
  child.stdout?.resume();
  return {
    url,
    baseUrl: `${url}/api`,
    pid: child.pid!,
    cpuMs: () => processCpuMs(child.pid!),
    stats: async () => (await admin(url, 'GET', 'stats')).json as SandboxStatsView,
    user: async (apiKey, locator) => {
      const res = await admin(
        url,
        'GET',
        `users/${encodeURIComponent(locator)}?apiKey=${encodeURIComponent(apiKey)}`,
      );
      return res.status === 200 ? (res.json as UserWrites) : undefined;
    },
    reset: async () => {
      await admin(url, 'POST', 'reset');
    },
    configure: async (patch) => {
      const res = await admin(url, 'PUT', 'config', patch);
      if (res.status !== 200) throw new Error(`sandbox config refused: ${JSON.stringify(res.json)}`);
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Writes the sandbox saw, summed over all write routes, by status class. */
export function writeCounts(stats: SandboxStatsView): { writes: number; ok: number; rateLimited: number } {
  let writes = 0;
  let ok = 0;
  let rateLimited = 0;
  for (const [route, r] of Object.entries(stats.byRoute)) {
    if (route.startsWith('GET')) continue;
    writes += r.total;
    for (const [status, n] of Object.entries(r.byStatus)) {
      if (status.startsWith('2')) ok += n;
      if (status === '429') rateLimited += n;
    }
  }
  return { writes, ok, rateLimited };
}
