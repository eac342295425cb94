import { inspect } from 'node:util';
import type { CrossmintError, UserUpsertRequest } from '@kyc-handoff/core';
import { NOT_ENABLED_MESSAGE } from '@kyc-handoff/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientConfigError,
  createCrossmintClient,
  createThreadedCrossmintClient,
  type DebugInfo,
} from '../src/index.js';
import {
  closedPort,
  type Handler,
  json,
  startServer,
  type TestServer,
  text,
} from './__test-utils__/server.js';

const KEY = 'sk_staging_CANARYKEY123456';
const SSN = '987-65-4320';
const EMAIL = 'canary@example.invalid';
const CANARIES = [KEY, 'CANARYKEY123456', SSN, '987654320', EMAIL];

const RECORD: UserUpsertRequest = {
  userDetails: { firstName: 'Canary', lastName: 'Bird', dateOfBirth: '1980-02-03', countryOfResidence: 'US' },
  kycData: {
    email: EMAIL,
    nationality: 'US',
    addressOfResidence: {
      line1: '1 Canary Wharf Rd',
      city: 'Miami',
      postalCode: '33156',
      stateOrRegion: 'FL',
    },
    identityDocument: { type: 'ssn', number: SSN, issuingCountryCode: 'US' },
  },
};

/** Everything a hostile or careless server could echo back: our body, our key, the SSN without dashes. */
function echo(req: Parameters<Handler>[0], seen: Parameters<Handler>[2]): string {
  return `you sent ${seen.body} with key ${String(req.headers['x-api-key'])}; ssn 987654320; ${EMAIL.toUpperCase()}`;
}

const SCENARIOS: Record<string, Handler> = {
  '400 json': (req, res, seen) => json(res, 400, { error: true, message: echo(req, seen) }),
  '422 text': (req, res, seen) => text(res, 422, echo(req, seen)),
  '409 json': (req, res, seen) => json(res, 409, { message: echo(req, seen) }),
  '401': (req, res, seen) => json(res, 401, { message: echo(req, seen) }),
  '403': (req, res, seen) => json(res, 403, { message: echo(req, seen) }),
  '403 not-enabled': (req, res, seen) =>
    json(res, 403, { message: `${NOT_ENABLED_MESSAGE}: ${echo(req, seen)}` }),
  '404': (req, res, seen) => json(res, 404, { message: echo(req, seen) }),
  '429': (req, res, seen) => json(res, 429, { message: echo(req, seen) }, { 'retry-after': '2' }),
  '500': (req, res, seen) => json(res, 500, { message: echo(req, seen) }),
  '502 html': (req, res, seen) => text(res, 502, `<html>${echo(req, seen)}</html>`, 'text/html'),
  '302': (req, res, seen) => {
    res.writeHead(302, { location: `https://x.example/${encodeURIComponent(echo(req, seen))}` });
    res.end();
  },
  '200 malformed': (req, res, seen) => text(res, 200, `{"userId": "${echo(req, seen)}"`, 'application/json'),
  '200 wrong shape': (_req, res) =>
    json(res, 200, {
      userId: SSN,
      userDetails: EMAIL,
      kycData: KEY,
      dueDiligence: SSN,
      verificationHistory: EMAIL,
    }),
  hang: () => undefined,
  reset: (req) => {
    req.socket.destroy();
  },
};

function leaks(text: string): string[] {
  const lower = text.toLowerCase();
  return CANARIES.filter((c) => lower.includes(c.toLowerCase()));
}

let server: TestServer;
let respond: Handler;
beforeAll(async () => {
  server = await startServer((req, res, seen) => respond(req, res, seen));
});
afterAll(() => server.close());

const CLIENTS = [
  ["in the caller's thread", createCrossmintClient],
  ['on a worker thread', createThreadedCrossmintClient],
] as const;

describe.each(CLIENTS)(
  'canary: the key and personal data never leak, the client %s',
  (_where, createClient) => {
    it('no error, debug line or client rendering holds the key, the SSN or the email', async () => {
      const debugLines: DebugInfo[] = [];
      const client = createClient(
        { baseUrl: server.baseUrl },
        { apiKey: KEY, timeouts: { headersMs: 200 }, debug: (i) => debugLines.push(i) },
      );
      const errors: [string, CrossmintError][] = [];
      for (const [name, handler] of Object.entries(SCENARIOS)) {
        respond = handler;
        const upsert = await client.upsertUser('userId:canary', RECORD);
        errors.push([`upsert ${name}`, upsert._unsafeUnwrapErr()]);
        const upload = await client.uploadDocument({
          reference: { userLocator: 'userId:canary' },
          documentType: 'id-ssn',
          data: `data:text/plain;base64,${Buffer.from(SSN).toString('base64')}`,
        });
        errors.push([`upload ${name}`, upload._unsafeUnwrapErr()]);
      }
      const controller = new AbortController();
      respond = SCENARIOS.hang!;
      const aborted = client.upsertUser('userId:canary', RECORD, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error(`abort ${SSN}`)), 10);
      errors.push(['aborted', (await aborted)._unsafeUnwrapErr()]);

      const refused = createClient(
        { baseUrl: `http://127.0.0.1:${await closedPort()}/api` },
        { apiKey: KEY, debug: (i) => debugLines.push(i) },
      );
      errors.push(['refused', (await refused.upsertUser('userId:canary', RECORD))._unsafeUnwrapErr()]);

      const kinds = new Set(errors.map(([, e]) => e.kind));
      expect([...kinds].sort()).toEqual([
        'invalid-data',
        'not-enabled',
        'not-found',
        'rate-limited',
        'transient',
        'unauthorized',
        'unexpected-response',
      ]);
      for (const [name, e] of errors) {
        const renderings = [
          e.message,
          String(e),
          JSON.stringify(e),
          inspect(e, { depth: Number.POSITIVE_INFINITY }),
        ];
        for (const r of renderings) expect(leaks(r), `${name}: ${r}`).toEqual([]);
        expect(Object.keys(e).sort()).toEqual(expect.arrayContaining(['kind', 'message']));
      }
      // Crossmint's message is kept, with what we sent redacted out of it.
      expect(errors.find(([n]) => n === 'upsert 400 json')?.[1].message).toContain('[redacted]');

      expect(debugLines.length).toBe(errors.length);
      for (const line of debugLines) expect(leaks(JSON.stringify(line))).toEqual([]);

      for (const c of [client, refused]) {
        const renderings = [
          inspect(c, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
          JSON.stringify(c),
          String(c),
        ];
        for (const r of renderings) expect(leaks(r)).toEqual([]);
      }
      await Promise.all([client.close(), refused.close()]);
    });

    it('config refusals never hold the key', () => {
      const attempts = [
        () => createClient({ env: 'production' }, { apiKey: KEY }),
        () => createClient({ env: 'staging' }, { apiKey: KEY.replace('sk_', 'ck_') }),
        () => createClient({ env: 'staging' }, { apiKey: KEY.replace('sk_staging_', 'sk_production_') }),
        () => createClient({ env: 'staging' }, { apiKey: KEY.replace('sk_', 'xx_') }),
      ];
      for (const attempt of attempts) {
        try {
          attempt();
          expect.unreachable();
        } catch (error) {
          expect(error).toBeInstanceOf(ClientConfigError);
          for (const r of [
            String(error),
            inspect(error),
            JSON.stringify(error),
            (error as Error).stack ?? '',
          ]) {
            expect(leaks(r)).toEqual([]);
          }
        }
      }
    });
  },
);
