// A service that submits users and tells you where each one stands.
//   POST /users       one input record as JSON → 202 and the submit result
//   GET  /users/:id   the user's latest state and outcome (verified, rejected, or null until then)
// Install and run as embed.ts says (json-body.ts beside it): … npx tsx outcomes.ts
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff, type TransitionNotice } from '@kyc-handoff/engine';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { readJson, reply } from './json-body.js';

const {
  CROSSMINT_BASE_URL: baseUrl,
  CROSSMINT_API_KEY: apiKey,
  KYC_HANDOFF_ENCRYPTION_KEY: keys,
} = process.env;
if (!baseUrl || !apiKey || !keys)
  throw new Error('set CROSSMINT_BASE_URL, CROSSMINT_API_KEY, KYC_HANDOFF_ENCRYPTION_KEY');
const crossmint = createCrossmintClient({ baseUrl }, { apiKey });
const store = openSqliteStore({ path: 'outcomes.db', keyring: parseKeyring(keys) });
const handoff = createHandoff({ crossmint, store });

// The latest transition of each user seen to change. `subscribe` is in-process only: it hears what
// this process commits, not other workers on the same store nor anything before a restart (durable
// notifications come later), so for any other user GET reads the store through `status`.
const latest = new Map<string, TransitionNotice>();
handoff.subscribe((t) => latest.set(t.userId, t));
const running = handoff.run({ until: 'stopped' });

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const userId = /^\/users\/([A-Za-z0-9._:@+-]{1,128})$/.exec(req.url ?? '')?.[1];
  if (req.method === 'GET' && userId !== undefined) {
    const seen = latest.get(userId);
    if (seen)
      return reply(res, 200, { userId, state: seen.to, outcome: seen.outcome, source: 'subscription' });
    const status = await handoff.status(userId);
    if (!status) return reply(res, 404, { error: `no user ${userId}` });
    return reply(res, 200, { userId, state: status.statePath, outcome: status.outcome, source: 'store' });
  }
  if (req.method !== 'POST' || req.url !== '/users')
    return reply(res, 404, { error: 'POST /users, GET /users/:id' });
  const body = await readJson(req, 1024 * 1024);
  if ('error' in body) return reply(res, body.status, { error: body.error });
  const [result] = await handoff.submit([body.value]);
  const refused = result?.status === 'invalid' || result?.status === 'incomplete';
  reply(res, refused ? 422 : result?.status === 'conflict' ? 409 : 202, result);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    console.error(error);
    reply(res, 500, { error: 'the store could not be reached; try again' });
  });
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
