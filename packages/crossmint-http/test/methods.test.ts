import type { DocumentUploadRequest, UserUpsertRequest } from '@kyc-handoff/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CrossmintClient, createCrossmintClient, createThreadedCrossmintClient } from '../src/index.js';
import { DOCUMENT, ELIGIBILITY, json, startServer, type TestServer, USER } from './__test-utils__/server.js';

const KEY = 'sk_staging_methods';
const ALICE: UserUpsertRequest = {
  userDetails: { firstName: 'Alice', lastName: 'Smith', dateOfBirth: '1990-01-15', countryOfResidence: 'US' },
  kycData: { email: 'alice@example.com' },
};
const UPLOAD: DocumentUploadRequest = {
  reference: { userLocator: 'userId:alice' },
  documentType: 'id-passport',
  data: 'data:image/png;base64,iVBORw0KGgo=',
};

let server: TestServer;
let client: CrossmintClient;
let created = true;

beforeEach(async () => {
  created = true;
  server = await startServer((req, res) => {
    const url = req.url ?? '';
    if (url.endsWith('/legal-documents')) return json(res, 200, { acceptedAt: '2026-01-01T00:00:00.000Z' });
    if (url.endsWith('/identity-verification')) return json(res, 200, ELIGIBILITY);
    if (url === '/api/2025-06-09/documents') return json(res, 201, DOCUMENT);
    if (url.startsWith('/api/2025-06-09/documents/')) return json(res, 200, DOCUMENT);
    if (req.method === 'PUT') {
      const status = created ? 201 : 200;
      created = false;
      return json(res, status, USER);
    }
    return json(res, 200, USER);
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

const CLIENTS = [
  ["in the caller's thread", createCrossmintClient],
  ['on a worker thread', createThreadedCrossmintClient],
] as const;

describe.each(CLIENTS)('every method over real HTTP, the client %s', (_where, createClient) => {
  beforeEach(() => {
    client = createClient({ baseUrl: server.baseUrl }, { apiKey: KEY });
  });

  it('recordLegalDocument PUTs the body to the encoded locator and returns acceptedAt', async () => {
    const body = { type: 'crossmint-privacy-policy' as const, acceptedAt: '2026-01-01T00:00:00.000Z' };
    const result = await client.recordLegalDocument('userId:alice', body);
    expect(result._unsafeUnwrap()).toEqual({ acceptedAt: '2026-01-01T00:00:00.000Z' });
    const [seen] = server.seen;
    expect(seen?.method).toBe('PUT');
    expect(seen?.url).toBe('/api/2025-06-09/users/userId%3Aalice/legal-documents');
    expect(JSON.parse(seen?.body ?? '')).toEqual(body);
    expect(seen?.headers['x-api-key']).toBe(KEY);
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers.accept).toBe('application/json');
    expect(seen?.headers['user-agent']).toMatch(/^kyc-handoff\/\d+\.\d+\.\d+ \(\+node \d+\.\d+\.\d+\)$/);
  });

  it('upsertUser says created on 201 and updated on 200', async () => {
    const first = await client.upsertUser('userId:alice', ALICE);
    const second = await client.upsertUser('userId:alice', ALICE);
    expect(first._unsafeUnwrap()).toEqual({ created: true, user: USER });
    expect(second._unsafeUnwrap()).toEqual({ created: false, user: USER });
    expect(server.seen.map((s) => [s.method, s.url])).toEqual([
      ['PUT', '/api/2025-06-09/users/userId%3Aalice'],
      ['PUT', '/api/2025-06-09/users/userId%3Aalice'],
    ]);
    expect(JSON.parse(server.seen[0]?.body ?? '')).toEqual(ALICE);
  });

  it('getUser GETs without a body or content-type', async () => {
    expect((await client.getUser('userId:alice'))._unsafeUnwrap()).toEqual(USER);
    const [seen] = server.seen;
    expect(seen?.method).toBe('GET');
    expect(seen?.body).toBe('');
    expect(seen?.headers['content-type']).toBeUndefined();
    expect(seen?.headers['x-api-key']).toBe(KEY);
  });

  it('triggerVerification PUTs without a body and returns the eligibility list', async () => {
    expect((await client.triggerVerification('userId:alice'))._unsafeUnwrap()).toEqual(ELIGIBILITY);
    expect(server.seen[0]).toMatchObject({
      method: 'PUT',
      url: '/api/2025-06-09/users/userId%3Aalice/identity-verification',
      body: '',
    });
  });

  it('getVerification GETs the eligibility list', async () => {
    expect((await client.getVerification('userId:alice'))._unsafeUnwrap()).toEqual(ELIGIBILITY);
    expect(server.seen[0]).toMatchObject({
      method: 'GET',
      url: '/api/2025-06-09/users/userId%3Aalice/identity-verification',
    });
  });

  it('uploadDocument POSTs to /documents and getDocument reads it back', async () => {
    expect((await client.uploadDocument(UPLOAD))._unsafeUnwrap()).toEqual(DOCUMENT);
    expect((await client.getDocument('doc_1'))._unsafeUnwrap()).toEqual(DOCUMENT);
    expect(server.seen.map((s) => [s.method, s.url])).toEqual([
      ['POST', '/api/2025-06-09/documents'],
      ['GET', '/api/2025-06-09/documents/doc_1'],
    ]);
    expect(JSON.parse(server.seen[0]?.body ?? '')).toEqual(UPLOAD);
  });

  it('reuses keep-alive connections for sequential calls', async () => {
    for (let i = 0; i < 6; i++) await client.getVerification('userId:alice');
    // undici may open a second connection while the first is still being marked free.
    expect(new Set(server.seen.map((s) => s.socket)).size).toBeLessThanOrEqual(2);
    expect(server.seen.filter((s) => s.previousOnSocket > 0).length).toBeGreaterThanOrEqual(4);
  });

  it('reports each call to the debug hook with method, path, status and duration only', async () => {
    const lines: unknown[] = [];
    const debugged = createClient({ baseUrl: server.baseUrl }, { apiKey: KEY, debug: (i) => lines.push(i) });
    await debugged.upsertUser('userId:alice', ALICE);
    await debugged.close();
    expect(lines).toEqual([
      {
        method: 'PUT',
        path: '/2025-06-09/users/userId%3Aalice',
        status: 201,
        durationMs: expect.any(Number),
        attempts: 1,
      },
    ]);
  });

  it('a throwing debug hook does not change the outcome', async () => {
    const debugged = createClient(
      { baseUrl: server.baseUrl },
      {
        apiKey: KEY,
        debug: () => {
          throw new Error('boom');
        },
      },
    );
    expect((await debugged.getUser('userId:alice')).isOk()).toBe(true);
    await debugged.close();
  });

  it('sends a custom User-Agent when given', async () => {
    const custom = createClient({ baseUrl: server.baseUrl }, { apiKey: KEY, userAgent: 'acme/1' });
    await custom.getUser('userId:alice');
    await custom.close();
    expect(server.seen[0]?.headers['user-agent']).toBe('acme/1');
  });
});
