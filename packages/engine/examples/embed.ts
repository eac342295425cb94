// A service that hands each user to Crossmint as soon as its own KYC passes.
// Run: CROSSMINT_BASE_URL=http://127.0.0.1:4010/api CROSSMINT_API_KEY=sk_staging_… \
//      KYC_HANDOFF_ENCRYPTION_KEY=$(openssl rand -base64 32) tsx --conditions=source examples/embed.ts
import { createServer } from 'node:http';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff } from '@kyc-handoff/engine';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

const handoff = createHandoff({
  crossmint: createCrossmintClient(
    { baseUrl: env('CROSSMINT_BASE_URL') },
    { apiKey: env('CROSSMINT_API_KEY') },
  ),
  store: openSqliteStore({ path: 'handoff.db', keyring: parseKeyring(env('KYC_HANDOFF_ENCRYPTION_KEY')) }),
  concurrency: 8,
});

// Transitions carry ids and states only, never personal data: safe to log.
handoff.subscribe((t) => console.log(`${t.userId}: ${t.from} → ${t.to}${t.detail ? ` (${t.detail})` : ''}`));
const running = handoff.run({ until: 'stopped' });

// POST /kyc-passed with one input record as JSON: called by your own verification flow.
const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const [result] = await handoff.submit(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
  res.writeHead(result?.status === 'invalid' || result?.status === 'incomplete' ? 422 : 202, {
    'content-type': 'application/json',
  });
  res.end(JSON.stringify(result));
});
server.listen(3000, () => console.log('listening on http://127.0.0.1:3000'));

process.once('SIGTERM', async () => {
  server.close();
  await handoff.stop({ graceMs: 10_000 });
  await running;
});
