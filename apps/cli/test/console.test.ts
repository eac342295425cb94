import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, ndjson, runCli, startWorld, usRecord, type World } from './__test-utils__/cli.js';

let world: World | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
afterEach(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  await world?.close();
  world = undefined;
});

interface Started {
  url: URL;
  token: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `kyc-handoff console …` (or another command with --console) and resolves once it printed its address (stderr). */
function startConsoleCli(args: string[], env: Record<string, string>, command = 'console'): Promise<Started> {
  const proc = spawn(process.execPath, [MAIN, command, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child = proc;
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the console printed no address in 20 s:\n${stderr}`)),
      20_000,
    );
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const match = /console: (http:\/\/\S+)/.exec(stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        const url = new URL(match[1]);
        resolve({ url, token: url.searchParams.get('token') ?? '', stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the console exited (${code}) before printing its address:\n${stderr}`));
    });
  });
}

describe('kyc-handoff console', () => {
  it('serves the store and its metrics on a free port with a token in the printed address, refuses a POST without it, and stops on SIGTERM', async () => {
    world = await startWorld();
    const file = join(world.dir, 'users.ndjson');
    writeFileSync(file, ndjson([usRecord('c-1', 'Smith', 1), usRecord('c-2', 'Rejected', 2)]));
    const imported = await runCli(['import', file, ...world.fast], { env: world.env });
    expect(imported.code).toBe(0);

    const started = await startConsoleCli(['--port', '0'], world.env);
    expect(started.url.hostname).toBe('127.0.0.1');
    expect(started.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const origin = started.url.origin;

    const overview = await fetch(`${origin}/`);
    expect(overview.status).toBe(200);
    const page = await overview.text();
    expect(page).toMatch(/<tr data-state="verified"><td>verified<\/td><td class="n">1<\/td>/);
    expect(page).toMatch(/<tr data-state="rejected"><td>rejected<\/td><td class="n">1<\/td>/);
    // The machine page reads the transition counts of the SQLite store.
    expect(await (await fetch(`${origin}/machine`)).text()).toContain('data-state="verified" data-count="1"');

    const metrics = await fetch(`${origin}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/kyc_handoff_\w+/);

    const refused = await fetch(`${origin}/users/c-1/retry`, { method: 'POST' });
    expect(refused.status).toBe(403);
    const allowed = await fetch(`${origin}/users/c-1/retry`, {
      method: 'POST',
      headers: { 'x-console-token': started.token },
    });
    // The token is accepted; the engine then says why a verified user is not retried.
    expect(allowed.status).toBe(409);
    expect(await allowed.text()).toContain('user c-1 is verified');

    child?.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.stderr()).toContain('console: SIGTERM: stopped');
  });

  it('--read-only says so and refuses an action even with the token', async () => {
    world = await startWorld();
    const started = await startConsoleCli(['--port', '0', '--read-only'], world.env);
    expect(started.stderr()).toContain('(read-only)');
    const res = await fetch(`${started.url.origin}/users/c-1/retry`, {
      method: 'POST',
      headers: { 'x-console-token': started.token },
    });
    expect(res.status).toBe(403);
    child?.kill('SIGINT');
    expect(await started.exited).toBe(0);
  });

  it.each([['-1'], ['abc'], ['70000']])(
    '--port %s is refused with a clear error before anything starts',
    async (port) => {
      world = await startWorld();
      const r = await runCli(['console', '--port', port], { env: world.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`option '--port <n>' argument '${port}' is invalid`);
      expect(r.stderr).toContain('must be a port number from 0 to 65535');
    },
  );

  it('a port in use is a one-line error naming the address', async () => {
    world = await startWorld();
    const first = await startConsoleCli(['--port', '0'], world.env);
    const r = await runCli(['console', '--port', first.url.port], { env: world.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `kyc-handoff: the console cannot listen on 127.0.0.1:${first.url.port}: the port is in use`,
    );
  });
});

describe('kyc-handoff console --help', () => {
  it('exits 0 with the defaults and an example', async () => {
    const r = await runCli(['console', '--help'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example:');
    const words = r.stdout.replace(/\s+/g, ' ');
    expect(words).toContain('(default: 4300)');
    expect(words).toContain('(default: "127.0.0.1")');
  });

  it.each(['import', 'resume', 'worker'])('%s --help offers --console [port]', async (name) => {
    const r = await runCli([name, '--help'], { env: {} });
    expect(r.stdout).toContain('--console [port]');
  });
});

describe('--console on a run', () => {
  it('resume --console=0 serves the console while it runs and prints its address', async () => {
    world = await startWorld();
    const r = await runCli(['resume', '--console=0', ...world.unlimited], { env: world.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/console: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}/);
  });

  it("worker --console=0 serves /metrics from the run's own metrics: the Crossmint calls it makes are counted", async () => {
    world = await startWorld();
    const file = join(world.dir, 'users.ndjson');
    writeFileSync(file, ndjson([usRecord('w-1', 'Pending', 1), usRecord('w-2', 'Pending', 2)]));
    // Submitted and triggered; the sandbox keeps them under review, so the worker polls them.
    const imported = await runCli(['import', file, '--no-wait', ...world.fast], { env: world.env });
    expect(imported.code).toBe(0);
    const started = await startConsoleCli(['--console=0', ...world.fast], world.env, 'worker');
    const polls =
      /kyc_handoff_crossmint_requests_total\{route="GET \/users\/\{locator\}\/identity-verification",status="200"\} (\d+)/;
    await expect
      .poll(
        async () => Number(polls.exec(await (await fetch(`${started.url.origin}/metrics`)).text())?.[1] ?? 0),
        {
          timeout: 15_000,
        },
      )
      .toBeGreaterThanOrEqual(2);
    child?.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });

  it('--console followed by the input file is refused with how to write it', async () => {
    world = await startWorld();
    const r = await runCli(['import', '--console', 'users.ndjson'], { env: world.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('write --console=PORT, or put --console after the arguments');
  });
});
