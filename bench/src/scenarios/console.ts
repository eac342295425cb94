import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_DIR, round } from '../lib/machine.js';
import { CLI, requireCli } from '../lib/proc.js';
import { ENCRYPTION_KEY, type ScenarioContext, tempDir } from './common.js';
import { buildPostgres, buildSqlite, withScratchDatabase } from './export.js';

export interface ConsolePageFigures {
  store: 'sqlite' | 'postgres';
  page: string;
  status: number;
  /**
   * The first load of the page or fragment. The console's very first page waits for the counts it
   * shows (read once at start); later ones answer from the last reading while it refreshes.
   */
  firstMs: number;
  /** Slowest of the timed loads (after the first): what an operator waits at worst. */
  maxMs: number;
  medianMs: number;
  bytes: number;
}

export interface ConsoleResult {
  rows: number;
  pages: ConsolePageFigures[];
  slowestMs: number;
  /** The slowest first load: the console's first page, which waits for the counts. */
  slowestFirstMs: number;
  allOk: boolean;
}

const LOADS = 5;

/** Starts `kyc-handoff console --port 0` and resolves with the URL (token included) it prints. */
async function startConsole(spec: string): Promise<{ url: URL; child: ChildProcess; startMs: number }> {
  requireCli();
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'console', '--store', spec, '--port', '0'], {
    cwd: REPO_DIR,
    env: { ...process.env, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<URL>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    let seen = '';
    lines.on('line', (line) => {
      seen += `${line}\n`;
      const m = /(http:\/\/\S+)/.exec(line);
      if (m) resolve(new URL(m[1]!));
    });
    child.once('exit', (code) =>
      reject(new Error(`console exited with ${code} before it listened:\n${seen}`)),
    );
  });
  return { url, child, startMs: performance.now() - started };
}

/** The page and every fragment it loads with htmx (hx-get), as paths to time. */
function fragmentsOf(html: string): string[] {
  return [...html.matchAll(/hx-get="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

async function timePages(
  store: ConsolePageFigures['store'],
  spec: string,
  userId: string,
): Promise<ConsolePageFigures[]> {
  const { url, child, startMs } = await startConsole(spec);
  const figures: ConsolePageFigures[] = [];
  // The console announces its address once the first counts are read: the wait before the first page.
  figures.push({
    store,
    page: '(start: until the address is printed)',
    status: 200,
    firstMs: round(startMs, 1),
    maxMs: 0,
    medianMs: 0,
    bytes: 0,
  });
  try {
    const load = async (path: string) => {
      const started = performance.now();
      const response = await fetch(new URL(path, url));
      const body = await response.text();
      return { ms: performance.now() - started, status: response.status, body };
    };
    const pages = ['/', '/machine', '/queues', `/users/${encodeURIComponent(userId)}`];
    const seen = new Set<string>();
    for (const page of pages) {
      const first = await load(page);
      for (const path of [page, ...fragmentsOf(first.body)]) {
        if (seen.has(path)) continue;
        seen.add(path);
        const firstMs = path === page ? first.ms : (await load(path)).ms;
        const loads = [];
        for (let i = 0; i < LOADS; i++) loads.push(await load(path));
        const ms = loads.map((l) => l.ms).sort((a, b) => a - b);
        figures.push({
          store,
          page: path,
          status: loads[0]!.status,
          firstMs: round(firstMs, 1),
          maxMs: round(ms.at(-1)!, 1),
          medianMs: round(ms[Math.floor(ms.length / 2)]!, 1),
          bytes: loads[0]!.body.length,
        });
      }
    }
  } finally {
    child.kill('SIGTERM');
  }
  return figures;
}

/** The console's pages and fragments over a store of 10^6 onboardings (quick: 10^5): every one under a second. */
export async function consoleScenario(ctx: ScenarioContext): Promise<ConsoleResult> {
  const rows = ctx.lines ?? (ctx.quick ? 100_000 : 1_000_000);
  const tmp = tempDir('console');
  const pages: ConsolePageFigures[] = [];
  const userId = 'exp-0000008'; // a failed one: its page has a failure and a Retry
  try {
    const path = join(tmp.dir, 'console.db');
    await buildSqlite(path, rows);
    pages.push(...(await timePages('sqlite', `sqlite:${path}`, userId)));
    ctx.log?.(`  sqlite: slowest ${Math.max(...pages.map((p) => p.maxMs))} ms`);
    await withScratchDatabase('console', ctx, async (url) => {
      await buildPostgres(url, rows);
      const pg = await timePages('postgres', url, userId);
      pages.push(...pg);
      ctx.log?.(`  postgres: slowest ${Math.max(...pg.map((p) => p.maxMs))} ms`);
    });
  } finally {
    tmp.cleanup();
  }
  return {
    rows,
    pages,
    slowestMs: Math.max(...pages.map((p) => p.maxMs)),
    slowestFirstMs: Math.max(...pages.filter((p) => p.maxMs > 0).map((p) => p.firstMs)),
    allOk: pages.every((p) => p.status === 200),
  };
}
