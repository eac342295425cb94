import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, ndjson, runCli, startWorld, usRecord, type World } from './__test-utils__/cli.js';

let world: World | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  await world?.close();
  world = undefined;
});

/** A CLI run in the background, its stderr collected as it comes. */
function start(args: string[], env: Record<string, string>): { proc: ChildProcess; stderr: () => string } {
  const proc = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child = proc;
  return { proc, stderr: () => stderr };
}

/** Polls `probe` (no fixed sleep) until it returns a value, or fails after `timeoutMs`. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The metrics URL the CLI printed (port 0 binds any free port, so it must be printed). */
const printedUrl = (stderr: () => string) =>
  until(
    'the metrics URL on stderr',
    () => /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr())?.[1],
  );

/** One scrape, parsed: `value(name, labels)` sums the samples whose labels include `labels`. */
async function scrape(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = parsePrometheusTextFormat(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    (families.find((f) => f.name === name)?.metrics ?? [])
      .filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))
      .reduce((a, s) => a + Number(s.value), 0);
  return { text, value };
}

const exitOf = (proc: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });

describe('--metrics-port', () => {
  it('worker --metrics-port 0 serves /metrics while it runs; the counts match the store and the sandbox', async () => {
    // A review takes two polls: the import makes the first, the worker the second.
    world = await startWorld({ verifyAfterPolls: 2 });
    const file = join(world.dir, 'users.ndjson');
    const ids = ['w-1', 'w-2', 'w-3'];
    writeFileSync(
      file,
      ndjson([...ids.map((id, i) => usRecord(id, 'Smith', i)), usRecord('w-4', 'Rejected', 4)]),
    );
    // Submitted and triggered by an import; the worker polls them to their outcome.
    // The next poll comes a second later: the import has returned by then, so the worker makes it.
    const imported = await runCli(['import', file, '--no-wait', ...world.unlimited, '--poll-ms', '1000'], {
      env: world.env,
    });
    expect(imported.code, imported.stderr).toBe(0);
    const before = world.sandbox.stats();

    const run = start(['worker', '--metrics-port', '0', ...world.unlimited], world.env);
    const url = await printedUrl(run.stderr);
    const s = await until('every onboarding at its outcome in a scrape', async () => {
      const scraped = await scrape(url);
      const done = scraped.value('kyc_handoff_onboardings', { state: 'verified' }) === 3;
      return done && scraped.value('kyc_handoff_onboardings', { state: 'rejected' }) === 1
        ? scraped
        : undefined;
    });
    expect(s.value('kyc_handoff_onboardings', { state: 'verificationPending' })).toBe(0);
    // Every call this worker made, and only those: the sandbox's count since the import.
    const polls = world.sandbox.stats().byRoute['GET /users/{locator}/identity-verification'];
    const polledBefore = before.byRoute['GET /users/{locator}/identity-verification']?.total ?? 0;
    expect(s.value('kyc_handoff_crossmint_requests_total')).toBe(world.sandbox.stats().total - before.total);
    expect(
      s.value('kyc_handoff_crossmint_requests_total', {
        route: 'GET /users/{locator}/identity-verification',
        status: '200',
      }),
    ).toBe((polls?.total ?? 0) - polledBefore);
    expect(s.value('kyc_handoff_transitions_total', { event: 'VERIFICATION_STATUS', to: 'verified' })).toBe(
      3,
    );
    expect(s.value('kyc_handoff_transitions_total', { event: 'VERIFICATION_STATUS', to: 'rejected' })).toBe(
      1,
    );
    for (const id of [...ids, 'w-4']) expect(s.text).not.toContain(id);
    expect(s.text).not.toContain('987-65-');

    expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
    run.proc.kill('SIGTERM');
    expect(await exitOf(run.proc)).toBe(0);
  });

  it('import --metrics-port 0 answers during the import and closes with it', async () => {
    world = await startWorld();
    const file = join(world.dir, 'users.ndjson');
    // `Pending` stays under review: the import keeps polling it until interrupted.
    writeFileSync(file, ndjson([usRecord('i-1', 'Smith', 1), usRecord('i-held', 'Pending', 2)]));
    const run = start(['import', file, '--metrics-port', '0', ...world.fast], world.env);
    const url = await printedUrl(run.stderr);
    const s = await until('a user verified and one under review in a scrape', async () => {
      const scraped = await scrape(url);
      const verified = scraped.value('kyc_handoff_onboardings', { state: 'verified' });
      const underReview = scraped.value('kyc_handoff_onboardings', { state: 'verificationPending' });
      return verified === 1 && underReview === 1 ? scraped : undefined;
    });
    expect(
      s.value('kyc_handoff_crossmint_requests_total', {
        route: 'GET /users/{locator}/identity-verification',
      }),
    ).toBeGreaterThan(0);
    expect(s.value('kyc_handoff_crossmint_requests_total', { route: 'PUT /users/{locator}' })).toBe(2);
    expect(s.text).not.toContain('i-held');

    run.proc.kill('SIGINT');
    expect(await exitOf(run.proc)).toBe(130);
    await expect(fetch(url)).rejects.toThrow();
  });

  it.each([['70000'], ['-1'], ['http'], ['1.5']])(
    'a port of %s is refused before anything is read or sent',
    async (port) => {
      world = await startWorld();
      const file = join(world.dir, 'users.ndjson');
      writeFileSync(file, ndjson([usRecord('p-1')]));
      const r = await runCli(['import', file, '--metrics-port', port, ...world.fast], { env: world.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--metrics-port');
      expect(r.stderr).toContain('must be a port number from 0 to 65535');
      expect(world.sandbox.stats().total).toBe(0);
    },
  );

  it('--metrics-host without --metrics-port is refused', async () => {
    world = await startWorld();
    const r = await runCli(['resume', '--metrics-host', '0.0.0.0', ...world.unlimited], { env: world.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--metrics-host needs --metrics-port PORT');
    expect(world.sandbox.stats().total).toBe(0);
  });

  it('a port already taken is a clear error, and nothing is sent', async () => {
    world = await startWorld();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const r = await runCli(['resume', '--metrics-port', String(port), ...world.unlimited], {
        env: world.env,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--metrics-port: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(world.sandbox.stats().total).toBe(0);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
