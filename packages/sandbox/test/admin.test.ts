import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { API, alice, KEY, PNG, policy, start, statusOf } from './helpers.js';

async function onboard(call: Awaited<ReturnType<typeof start>>['call'], id: string, lastName: string) {
  await call('PUT', `${API}/users/userId:${id}/legal-documents`, policy);
  await call('PUT', `${API}/users/userId:${id}`, {
    ...alice,
    userDetails: { ...alice.userDetails, lastName },
  });
  return call('PUT', `${API}/users/userId:${id}/identity-verification`);
}
const poll = (call: Awaited<ReturnType<typeof start>>['call'], id: string) =>
  call('GET', `${API}/users/userId:${id}/identity-verification`);

describe('magic last names', () => {
  it('Rejected goes through review, then rejected (case-insensitive)', async () => {
    const { call } = await start();
    expect(statusOf((await onboard(call, 'r', 'rEjEcTeD')).body)).toBe('pending-review');
    expect(statusOf((await poll(call, 'r')).body)).toBe('rejected');
  });

  it('Pending stays pending-review until forced through the admin API', async () => {
    const { call, url } = await start();
    await onboard(call, 'p', 'Pending');
    for (let i = 0; i < 5; i++) expect(statusOf((await poll(call, 'p')).body)).toBe('pending-review');
    const forced = await request(`${url}/__sandbox/users/userId%3Ap/status?apiKey=${KEY}`, {
      method: 'POST',
      body: JSON.stringify({ status: 'verified', product: 'offramp' }),
    });
    expect(forced.statusCode).toBe(200);
    const after = (await poll(call, 'p')).body;
    expect(statusOf(after)).toBe('verified');
    expect(statusOf(after, 'onramp')).toBe('pending-review');
  });

  it('Incomplete asks for an id document until any document is uploaded', async () => {
    const { call } = await start();
    const first = await onboard(call, 'i', 'Incomplete');
    expect(first.body.eligibility[2]).toEqual({
      type: 'offramp',
      status: 'requires-data',
      missingDocuments: ['id'],
    });
    expect(statusOf((await poll(call, 'i')).body)).toBe('requires-data');
    await call('POST', `${API}/documents`, {
      reference: { userLocator: 'userId:i' },
      documentType: 'proof-of-address',
      data: PNG,
    });
    const again = await call('PUT', `${API}/users/userId:i/identity-verification`);
    expect(statusOf(again.body)).toBe('pending-review');
  });
});

describe('admin API', () => {
  it('the user record shows sections, documents, writes and distinct body hashes', async () => {
    const { call, url } = await start();
    await call('PUT', `${API}/users/userId:w/legal-documents`, policy);
    await call('PUT', `${API}/users/userId:w/legal-documents`, policy);
    await call('PUT', `${API}/users/userId:w`, alice);
    await call('PUT', `${API}/users/userId:w`, {
      ...alice,
      dueDiligence: { estimatedYearlyIncome: 'income-50k-100k' },
    });
    await call('POST', `${API}/documents`, {
      reference: { userLocator: 'userId:w' },
      documentType: 'selfie-front',
      data: PNG,
    });
    await call('PUT', `${API}/users/userId:w/identity-verification`);
    const res = await request(`${url}/__sandbox/users/userId:w`, { headers: { 'x-api-key': KEY } });
    const view = (await res.body.json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      locator: 'userId:w',
      userId: 'w',
      sections: {
        userDetails: { lastName: 'Smith' },
        dueDiligence: { estimatedYearlyIncome: 'income-50k-100k' },
      },
      legalDocuments: [{ type: 'crossmint-privacy-policy', acceptedAt: policy.acceptedAt }],
      documentTypes: ['selfie-front'],
      writes: { legalDocuments: 2, upsert: 2, trigger: 1, documents: 1 },
    });
    const hashes = view.bodyHashes as Record<string, string[]>;
    expect(hashes.legalDocuments).toHaveLength(1);
    expect(hashes.upsert).toHaveLength(2);
    expect(hashes.upsert?.[0]).toMatch(/^[0-9a-f]{64}$/);
    expect((await request(`${url}/__sandbox/users/userId:nobody?apiKey=${KEY}`)).statusCode).toBe(404);
    expect((await request(`${url}/__sandbox/users/userId:w`)).statusCode).toBe(400);
  });

  it('stats count by route and status; reset clears users and stats', async () => {
    const { call, url, sandbox } = await start();
    await call('PUT', `${API}/users/userId:s/legal-documents`, policy);
    await call('GET', `${API}/users/userId:s`);
    await call('GET', `${API}/users/userId:none`);
    await call('GET', `${API}/bogus`);
    const stats = (await (await request(`${url}/__sandbox/stats`)).body.json()) as ReturnType<
      typeof sandbox.stats
    >;
    expect(stats).toMatchObject({
      total: 4,
      byStatus: { '200': 2, '404': 2 },
      byRoute: {
        'PUT /users/{locator}/legal-documents': { total: 1, byStatus: { '200': 1 } },
        'GET /users/{locator}': { total: 2, byStatus: { '200': 1, '404': 1 } },
        unknown: { total: 1 },
      },
    });
    expect((await request(`${url}/__sandbox/reset`, { method: 'POST' })).statusCode).toBe(200);
    expect(sandbox.stats().total).toBe(0);
    expect((await call('GET', `${API}/users/userId:s`)).status).toBe(404);
  });

  it('config changes at run time, over HTTP and in JS, and bad values are refused', async () => {
    const { call, url, sandbox } = await start();
    const put = await request(`${url}/__sandbox/config`, {
      method: 'PUT',
      body: JSON.stringify({ kycDisabled: true, verifyAfterPolls: 2 }),
    });
    expect(await put.body.json()).toMatchObject({ kycDisabled: true, verifyAfterPolls: 2 });
    expect((await call('GET', `${API}/users/userId:c`)).status).toBe(403);
    sandbox.configure({ kycDisabled: false, faultRate: 1, faults: ['503'] });
    expect((await call('GET', `${API}/users/userId:c`)).status).toBe(503);
    const bad = await request(`${url}/__sandbox/config`, {
      method: 'PUT',
      body: JSON.stringify({ faultRate: 2 }),
    });
    expect(bad.statusCode).toBe(400);
    expect(((await bad.body.json()) as { message: string }).message).toContain('faultRate');
    const got = (await (await request(`${url}/__sandbox/config`)).body.json()) as { faultRate: number };
    expect(got.faultRate).toBe(1);
    expect(() => sandbox.configure({ writesPerMin: -1 })).toThrow(/writesPerMin/);
  });

  it('the clock advances over HTTP, which releases verifyAfterMs', async () => {
    const { call, url } = await start({ verifyAfterMs: 30_000, clock: { now: () => 0 } });
    await onboard(call, 'ck', 'Smith');
    expect(statusOf((await poll(call, 'ck')).body)).toBe('pending-review');
    const adv = await request(`${url}/__sandbox/clock/advance`, {
      method: 'POST',
      body: JSON.stringify({ ms: 30_000 }),
    });
    expect(await adv.body.json()).toEqual({ now: new Date(30_000).toISOString() });
    expect(statusOf((await poll(call, 'ck')).body)).toBe('verified');
  });

  it('forceStatus in JS sets every product, and reports unknown users', async () => {
    const { call, sandbox } = await start();
    await call('PUT', `${API}/users/userId:fs/legal-documents`, policy);
    expect(sandbox.forceStatus(KEY, 'userId:fs', 'rejected')).toBe(true);
    expect(
      (await poll(call, 'fs')).body.eligibility.every((e: { status: string }) => e.status === 'rejected'),
    ).toBe(true);
    expect(sandbox.forceStatus(KEY, 'userId:ghost', 'verified')).toBe(false);
  });

  it('admin paths are never under /api and unknown admin routes are 404', async () => {
    const { url, call } = await start();
    expect((await request(`${url}/__sandbox/nothing`)).statusCode).toBe(404);
    expect((await request(`${url}/__sandbox/stats`, { method: 'DELETE' })).statusCode).toBe(405);
    expect((await call('GET', '/api/__sandbox/stats')).status).toBe(404);
  });
});
