// Runs the engine's examples (compiled beside this file, in examples/) as a user would run them after
// installing the packed packages: each as its own process against an in-process sandbox, checked
// over HTTP, then stopped with SIGTERM, which must end it with status 0. With EXAMPLES_TSX (a tsx
// binary) and EXAMPLES_DIR (a folder holding the examples' .ts sources), it runs the sources with
// tsx instead, as their Run line says.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { generateKey } from '@kyc-handoff/core/crypto';
import { createSandbox } from '@kyc-handoff/sandbox';
import { usResident } from './records.js';

interface Service {
  name: string;
  url: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  output(): string;
}

const problems: string[] = [];
const check = (ok: boolean, what: string, service: Service) => {
  if (!ok)
    problems.push(
      `${service.name}: ${what}\n    its output: ${service.output().trim().replaceAll('\n', '\n    ')}`,
    );
};

async function start(name: string, cwd: string, env: Record<string, string>): Promise<Service> {
  const tsx = process.env.EXAMPLES_TSX;
  const [command, script] =
    tsx === undefined
      ? [process.execPath, fileURLToPath(new URL(`./examples/${name}.js`, import.meta.url))]
      : [tsx, join(process.env.EXAMPLES_DIR ?? '.', `${name}.ts`)];
  const child = spawn(command, [script], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  let timer: NodeJS.Timeout | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not listen within 10 s:\n${output}`)), 10_000);
    child.stdout.on('data', () => {
      const listening = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (listening !== undefined) resolve(listening);
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code} before listening:\n${output}`)),
    );
  }).finally(() => {
    clearTimeout(timer);
    child.removeAllListeners('exit');
  });
  return { name, url, child, output: () => output };
}

/** Sends SIGTERM and resolves with the exit status (null if it had to be killed after 15 s). */
function stop(service: Service): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
    service.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    service.child.kill('SIGTERM');
  });
}

async function request(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

const post = (url: string, body: string) =>
  request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

async function until<T>(what: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0 });
const { url: sandboxUrl } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
const env = {
  CROSSMINT_BASE_URL: `${sandboxUrl}/api`,
  CROSSMINT_API_KEY: 'sk_staging_examples_check',
  KYC_HANDOFF_ENCRYPTION_KEY: generateKey(),
  PORT: '0',
};
const dir = await mkdtemp(join(tmpdir(), 'kyc-examples-'));

try {
  const embed = await start('embed', dir, env);
  const notJson = await post(`${embed.url}/kyc-passed`, '{"userId": ');
  check(notJson.status === 400, `a body that is not JSON got ${notJson.status}, not 400`, embed);
  check(typeof (notJson.body as { error?: unknown }).error === 'string', 'the 400 has no JSON error', embed);
  const huge = await post(`${embed.url}/kyc-passed`, 'x'.repeat(2 * 1024 * 1024));
  check(huge.status === 413, `a 2 MiB body got ${huge.status}, not 413`, embed);
  const accepted = await post(`${embed.url}/kyc-passed`, JSON.stringify(usResident('embed-1')));
  check(accepted.status === 202, `a valid record got ${accepted.status}, not 202`, embed);
  await until(
    async () => embed.output(),
    (text) => text.includes('embed-1: '),
    5_000,
  );
  check(embed.output().includes('embed-1: '), 'no transition of embed-1 was logged within 5 s', embed);
  const embedExit = await stop(embed);
  check(embedExit === 0, `SIGTERM ended it with ${embedExit}, not 0`, embed);

  const outcomes = await start('outcomes', dir, env);
  const submitted = await post(`${outcomes.url}/users`, JSON.stringify(usResident('outcomes-1')));
  check(submitted.status === 202, `POST /users got ${submitted.status}, not 202`, outcomes);
  // Learnt from the subscription; waiting for its first poll (5 s away), so nothing moves during the restart.
  const waiting = (r: { body: unknown }) => {
    const body = r.body as { source?: string; state?: string };
    return body.source === 'subscription' && body.state?.startsWith('verificationPending') === true;
  };
  const learnt = await until(() => request(`${outcomes.url}/users/outcomes-1`), waiting);
  check(
    waiting(learnt),
    `GET /users/outcomes-1 never showed it under review: ${JSON.stringify(learnt)}`,
    outcomes,
  );
  const unknown = await request(`${outcomes.url}/users/nobody`);
  check(unknown.status === 404, `GET /users/nobody got ${unknown.status}, not 404`, outcomes);
  const outcomesExit = await stop(outcomes);
  check(outcomesExit === 0, `SIGTERM ended it with ${outcomesExit}, not 0`, outcomes);

  // A new process has seen no transition: it answers from the store, through status().
  const restarted = await start('outcomes', dir, env);
  const stored = await request(`${restarted.url}/users/outcomes-1`);
  const source = (stored.body as { source?: string }).source;
  check(
    stored.status === 200 && source === 'store',
    `after a restart got ${JSON.stringify(stored)}`,
    restarted,
  );
  const restartedExit = await stop(restarted);
  check(restartedExit === 0, `SIGTERM ended it with ${restartedExit}, not 0`, restarted);
} finally {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`examples check: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  'examples check: embed (400, 413, 202, SIGTERM → 0) and outcomes (202, subscription, status) work',
);
