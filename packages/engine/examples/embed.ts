// A service that hands each user to Crossmint as soon as its own KYC passes.
// Install: npm install @kyc-handoff/core @kyc-handoff/crossmint-http @kyc-handoff/engine @kyc-handoff/store-sqlite
// and copy json-body.ts beside this file. Run:
//   CROSSMINT_BASE_URL=http://127.0.0.1:4010/api CROSSMINT_API_KEY=sk_staging_… \
//   KYC_HANDOFF_ENCRYPTION_KEY=$(openssl rand -base64 32) npx tsx embed.ts
// (a local Crossmint: `npx kyc-handoff sandbox --port 4010`; PORT=0 lets this service take any free port)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff } from '@kyc-handoff/engine';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { readJson, reply } from './json-body.js';

/** A record with inline documents is mostly base64: raise this if yours carry large scans. */
const MAX_BODY_BYTES = 1024 * 1024;

const {
  CROSSMINT_BASE_URL: baseUrl,
  CROSSMINT_API_KEY: apiKey,
  KYC_HANDOFF_ENCRYPTION_KEY: keys,
} = process.env;
if (!baseUrl || !apiKey || !keys)
  throw new Error('set CROSSMINT_BASE_URL, CROSSMINT_API_KEY, KYC_HANDOFF_ENCRYPTION_KEY');
const crossmint = createCrossmintClient({ baseUrl }, { apiKey });
const store = openSqliteStore({ path: 'handoff.db', keyring: parseKeyring(keys) });
const handoff = createHandoff({ crossmint, store, concurrency: 8 });

// Transitions carry ids and states only, never personal data: safe to log.
handoff.subscribe((t) => console.log(`${t.userId}: ${t.from} → ${t.to}${t.detail ? ` (${t.detail})` : ''}`));
const running = handoff.run({ until: 'stopped' });

// POST /kyc-passed with one input record as JSON: called by your own verification flow.
const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/kyc-passed')
    return reply(res, 404, { error: 'POST /kyc-passed' });
  const body = await readJson(req, MAX_BODY_BYTES);
  if ('error' in body) return reply(res, body.status, { error: body.error });
  try {
    const [result] = await handoff.submit([body.value]);
    const refused = result?.status === 'invalid' || result?.status === 'incomplete';
    reply(res, refused ? 422 : result?.status === 'conflict' ? 409 : 202, result);
  } catch (error) {
    console.error(error);
    reply(res, 500, { error: 'the record could not be stored; try again' });
  }
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

process.once('SIGTERM', async () => {
  server.close();
  await handoff.stop({ graceMs: 10_000 });
  await running;
  await Promise.all([store.close(), crossmint.close()]);
});
