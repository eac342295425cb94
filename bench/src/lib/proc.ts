import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_DIR, REPO_DIR } from './machine.js';

export const CLI = join(REPO_DIR, 'apps/cli/dist/main.js');

export function requireCli(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: build it first with \`pnpm turbo run build\` (pnpm bench does)`);
  }
}

/** What every contender child reports on its last stdout line. */
export interface ChildReport {
  users: number;
  durationMs: number;
  maxRssKb: number;
  startedAt: number;
  endedAt: number;
  [key: string]: unknown;
}

export interface Child {
  child: ChildProcess;
  /** Resolves when the child printed `{"ready":true}` (it then waits for go()). */
  ready: Promise<void>;
  go(): void;
  /** The child's report (its last JSON line with `users`), or a rejection with its stderr tail. */
  report: Promise<ChildReport>;
  exited: Promise<number | null>;
  kill(): void;
}

/**
 * Runs `src/children/<name>.ts` in its own Node process (tsx loaded in-process, so the pid is the
 * process that works and its maxRSS is its own), with `config` as JSON in argv. The packages it
 * imports are their builds, as users run them, not their TypeScript source through tsx. Killed after
 * `timeoutMs` so a bench can never run forever.
 */
export function startChild(
  name: string,
  config: unknown,
  options: {
    timeoutMs: number;
    env?: NodeJS.ProcessEnv;
    /** The bench directory of another built checkout, to run its child against this one's. */
    benchDir?: string;
  },
): Child {
  const benchDir = options.benchDir ?? BENCH_DIR;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(benchDir, 'src/children', `${name}.ts`), JSON.stringify(config)],
    {
      cwd: benchDir,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (process.env.BENCH_CHILD_STDERR) process.stderr.write(chunk);
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const timer = setTimeout(kill, options.timeoutMs);
  timer.unref();
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  let report: ChildReport | undefined;
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (value.ready === true) resolveReady();
        else if ('users' in value) report = value as ChildReport;
      } catch {
        // not ours
      }
    });
    void exited.then(() => rejectReady(new Error(`${name} exited before it was ready: ${stderr.trim()}`)));
  });
  ready.catch(() => undefined);
  const reportPromise = exited.then((code) => {
    if (report === undefined || code !== 0) {
      throw new Error(`${name} exited with ${code ?? child.signalCode} and no report: ${stderr.trim()}`);
    }
    return report;
  });
  reportPromise.catch(() => undefined);
  return {
    child,
    ready,
    go: () => child.stdin?.write('go\n'),
    report: reportPromise,
    exited,
    kill,
  };
}

/** Peak resident set of a process in kB (VmHWM), or undefined once it is gone. */
export function peakRssKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Linux only: utime + stime of /proc/PID/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Runs the built CLI to the end; returns its exit code, output, duration and peak RSS (polled). */
export async function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs: number;
    onSpawn?: (child: ChildProcess) => void;
  },
): Promise<{
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  peakRssKb: number;
}> {
  requireCli();
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_DIR,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  let peak = 0;
  const poll = setInterval(() => {
    if (child.pid !== undefined) peak = Math.max(peak, peakRssKb(child.pid) ?? 0);
  }, 100);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearInterval(poll);
  clearTimeout(timer);
  return { code, signal, stdout, stderr, durationMs: performance.now() - started, peakRssKb: peak };
}
