// Client vs raw undici.request against the same local server, same run, alternating order.
// It measures the built package, which is what users run: the script builds it first.
// Usage: pnpm --filter @kyc-handoff/crossmint-http bench  [env: BENCH_N, BENCH_CONCURRENCY, BENCH_ROUNDS, BENCH_WARMUP, BENCH_SERVERS]
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { Pool } from 'undici';

const N = Number(process.env.BENCH_N ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const SERVERS = (process.env.BENCH_SERVERS ?? 'minimal,sandbox').split(',');
const KEY = 'sk_staging_benchmark_key';
const LOCATOR = 'userId:bench';
/** Both contenders send the same request bytes: the same three headers. */
const USER_AGENT = 'kyc-handoff-bench/1';
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10_000);
const here = fileURLToPath(new URL('.', import.meta.url));

async function startServer(mode: string): Promise<{ url: string; child: ChildProcess }> {
  const args = ['--conditions=source', '--import', 'tsx', `${here}server.ts`, mode];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { url, child };
}

/**
 * Runs `n` calls of `one` with `concurrency` in flight; returns requests per second and this
 * process's CPU microseconds per request (steadier than the rate on a shared machine).
 */
async function drive(
  n: number,
  concurrency: number,
  one: () => Promise<void>,
): Promise<{ rps: number; cpuUs: number }> {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await one();
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rps: n / ((performance.now() - started) / 1000), cpuUs: (used.user + used.system) / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const mode of SERVERS) {
  let server: { url: string; child: ChildProcess };
  try {
    server = await startServer(mode);
  } catch (error) {
    console.log(`${mode}: server unavailable (${(error as Error).message}), skipped`);
    continue;
  }
  const baseUrl = `${server.url}/api`;
  const client = createCrossmintClient(
    { baseUrl },
    { apiKey: KEY, connections: CONCURRENCY, userAgent: USER_AGENT },
  );
  const origin = new URL(server.url).origin;
  const raw = new Pool(origin, { connections: CONCURRENCY });
  const rawPath = `${new URL(baseUrl).pathname}/2025-06-09/users/${encodeURIComponent(LOCATOR)}/identity-verification`;
  const rawHeaders = { 'x-api-key': KEY, accept: 'application/json', 'user-agent': USER_AGENT };

  if (mode === 'sandbox') {
    const policy = { type: 'crossmint-privacy-policy' as const, acceptedAt: '2026-01-01T00:00:00.000Z' };
    (await client.recordLegalDocument(LOCATOR, policy))._unsafeUnwrap();
    (
      await client.upsertUser(LOCATOR, {
        userDetails: {
          firstName: 'B',
          lastName: 'Ench',
          dateOfBirth: '1990-01-01',
          countryOfResidence: 'GB',
        },
      })
    )._unsafeUnwrap();
    (await client.triggerVerification(LOCATOR))._unsafeUnwrap();
  }

  const viaClient = async () => {
    const result = await client.getVerification(LOCATOR);
    if (result.isErr()) throw new Error(result.error.message);
  };
  const viaRaw = async () => {
    const { statusCode, body } = await raw.request({ method: 'GET', path: rawPath, headers: rawHeaders });
    const json = (await body.json()) as { eligibility?: unknown };
    if (statusCode !== 200 || json.eligibility === undefined) throw new Error(`raw: ${statusCode}`);
  };

  // Warm both pools and the JIT before measuring: the steady state is what a service runs in. With
  // 2,000 calls each, the client's first rounds still ran partly unoptimised (0.75-0.85 of raw,
  // against 0.95-1.0 later in the same run).
  for (let i = 0; i < 2; i++) {
    await drive(WARMUP, CONCURRENCY, viaClient);
    await drive(WARMUP, CONCURRENCY, viaRaw);
  }

  const clientRates: number[] = [];
  const rawRates: number[] = [];
  const clientCpu: number[] = [];
  const rawCpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['client', 'raw'] as const) : (['raw', 'client'] as const);
    for (const which of order) {
      const { rps, cpuUs } = await drive(N, CONCURRENCY, which === 'client' ? viaClient : viaRaw);
      (which === 'client' ? clientRates : rawRates).push(rps);
      (which === 'client' ? clientCpu : rawCpu).push(cpuUs);
    }
  }
  const cpuRatio = median(rawCpu) / median(clientCpu);
  const clientRate = median(clientRates);
  const rawRate = median(rawRates);
  // The machine is shared, so rates drift between rounds: the ratio of each round's adjacent pair
  // is steadier than the ratio of medians.
  const ratio = median(clientRates.map((c, i) => c / rawRates[i]!));
  console.log(
    `${mode}: client ${clientRate.toFixed(0)} req/s, raw undici ${rawRate.toFixed(0)} req/s, ratio ${ratio.toFixed(3)} (median of per-round ratios) ` +
      `(medians of ${ROUNDS} rounds of ${N} GET identity-verification, concurrency ${CONCURRENCY}; target >= 0.9)\n` +
      `${mode}: CPU per request in this process: client ${median(clientCpu).toFixed(1)} µs, raw ${median(rawCpu).toFixed(1)} µs, ` +
      `raw/client ${cpuRatio.toFixed(3)} (the client's throughput ceiling relative to raw)`,
  );
  appendFileSync(
    `${here}results.jsonl`,
    `${JSON.stringify({
      at: new Date().toISOString(),
      bench: 'client-vs-raw',
      server: mode,
      n: N,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      clientRps: Math.round(clientRate),
      rawRps: Math.round(rawRate),
      ratio: Number(ratio.toFixed(3)),
      clientCpuUsPerReq: Number(median(clientCpu).toFixed(1)),
      rawCpuUsPerReq: Number(median(rawCpu).toFixed(1)),
      cpuRatio: Number(cpuRatio.toFixed(3)),
      loadavg: loadavg().map((x) => Number(x.toFixed(2))),
      clientRounds: clientRates.map(Math.round),
      rawRounds: rawRates.map(Math.round),
      node: process.versions.node,
    })}\n`,
  );
  await Promise.all([client.close(), raw.close()]);
  server.child.kill();
}
