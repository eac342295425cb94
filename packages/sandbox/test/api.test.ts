import { describe, expect, it } from 'vitest';
import { API, alice, KEY, PNG, policy, start } from './helpers.js';

describe('users endpoints', () => {
  it('accepts the locator raw or percent-encoded as the same user', async () => {
    const { call } = await start();
    await call('PUT', `${API}/users/userId%3Abob/legal-documents`, policy);
    const raw = await call('GET', `${API}/users/userId:bob`);
    expect(raw).toMatchObject({ status: 200, body: { userId: 'bob', userDetails: false } });
  });

  it('GET user returns booleans and legal documents, never the stored data', async () => {
    const { call } = await start();
    await call('PUT', `${API}/users/userId:a/legal-documents`, policy);
    await call('PUT', `${API}/users/userId:a`, alice);
    const got = await call('GET', `${API}/users/userId:a`);
    expect(got.body).toEqual({
      userId: 'a',
      userDetails: true,
      kycData: true,
      dueDiligence: false,
      verificationHistory: true,
      legalDocuments: [
        { type: 'crossmint-privacy-policy', acceptedAt: policy.acceptedAt, isValidVersion: true },
      ],
    });
    expect(JSON.stringify(got.body)).not.toContain('Alice');
  });

  it('GET of an unknown user is 404 with the error shape', async () => {
    const { call } = await start();
    expect(await call('GET', `${API}/users/userId:nobody`)).toMatchObject({
      status: 404,
      body: { error: true, message: expect.any(String) },
    });
    expect((await call('GET', `${API}/users/userId:nobody/identity-verification`)).status).toBe(404);
    expect((await call('PUT', `${API}/users/userId:nobody/identity-verification`)).status).toBe(404);
  });

  it('the upsert creates with 201, then replaces every section with 200 (not additive)', async () => {
    const { call, sandbox } = await start();
    expect((await call('PUT', `${API}/users/userId:u`, alice)).status).toBe(201);
    const second = await call('PUT', `${API}/users/userId:u`, { userDetails: alice.userDetails });
    expect(second).toMatchObject({
      status: 200,
      body: { userDetails: true, kycData: false, verificationHistory: false },
    });
    expect(sandbox.user(KEY, 'userId:u')?.sections.kycData).toBeUndefined();
  });

  it('legal documents accept acceptedAt without Z, unless strict; terms need a region', async () => {
    const lenient = await start();
    const noZ = { type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00' };
    expect(await lenient.call('PUT', `${API}/users/userId:z/legal-documents`, noZ)).toMatchObject({
      status: 200,
      body: { acceptedAt: '2026-01-01T00:00:00' },
    });
    const terms = await lenient.call('PUT', `${API}/users/userId:z/legal-documents`, {
      type: 'crossmint-terms-of-service',
      acceptedAt: policy.acceptedAt,
    });
    expect(terms).toMatchObject({
      status: 400,
      body: { error: true, message: expect.stringContaining('region') },
    });

    const strict = await start({ strict: true });
    const refused = await strict.call('PUT', `${API}/users/userId:z/legal-documents`, noZ);
    expect(refused).toMatchObject({ status: 400, body: { message: expect.stringContaining('acceptedAt') } });
  });

  it('a bad body names the field and never echoes the value', async () => {
    const { call } = await start();
    const bad = { ...alice, userDetails: { ...alice.userDetails, dateOfBirth: '1990-13-45-secret' } };
    const res = await call('PUT', `${API}/users/userId:b`, bad);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(true);
    expect(res.body.message).toContain('userDetails.dateOfBirth');
    expect(res.body.message).not.toContain('secret');
  });

  it('bad JSON is 400, unknown route 404, wrong method 405 with Allow', async () => {
    const { call } = await start();
    expect(await call('PUT', `${API}/users/userId:j`, '{not json')).toMatchObject({
      status: 400,
      body: { error: true, message: 'body must be valid JSON' },
    });
    expect(await call('GET', `${API}/nothing`)).toMatchObject({ status: 404, body: { error: true } });
    expect(await call('GET', '/api/2024-01-01/users/userId:j')).toMatchObject({ status: 404 });
    const wrong = await call('DELETE', `${API}/users/userId:j`);
    expect(wrong).toMatchObject({ status: 405, body: { error: true } });
    expect(wrong.headers.allow).toBe('GET, PUT');
  });

  it('an invalid locator is 400', async () => {
    const { call } = await start();
    expect(await call('PUT', `${API}/users/nokind/legal-documents`, policy)).toMatchObject({ status: 400 });
  });
});

describe('auth and enablement', () => {
  it('missing or malformed key is 401, a client key 403', async () => {
    const { call } = await start();
    const path = `${API}/users/userId:k`;
    expect((await call('GET', path, undefined, { 'x-api-key': '' })).status).toBe(401);
    expect((await call('GET', path, undefined, { 'x-api-key': 'sk_short' })).status).toBe(401);
    expect((await call('GET', path, undefined, { 'x-api-key': 'nonsense_key_here' })).status).toBe(401);
    expect(await call('GET', path, undefined, { 'x-api-key': 'ck_staging_abcdefgh' })).toMatchObject({
      status: 403,
      body: { error: true },
    });
  });

  it('state is per API key (per project)', async () => {
    const { call } = await start();
    await call('PUT', `${API}/users/userId:p/legal-documents`, policy);
    const other = await call('GET', `${API}/users/userId:p`, undefined, {
      'x-api-key': 'sk_production_other12',
    });
    expect(other.status).toBe(404);
  });

  it('kycDisabled answers 403 with the exact Crossmint message on every route', async () => {
    const { call } = await start({ kycDisabled: true });
    for (const [method, path] of [
      ['PUT', `${API}/users/userId:d/legal-documents`],
      ['PUT', `${API}/users/userId:d`],
      ['GET', `${API}/users/userId:d`],
      ['PUT', `${API}/users/userId:d/identity-verification`],
      ['GET', `${API}/users/userId:d/identity-verification`],
      ['POST', `${API}/documents`],
      ['GET', `${API}/documents/doc_x`],
    ] as const) {
      const res = await call(method, path, method === 'GET' ? undefined : {});
      expect(res).toMatchObject({
        status: 403,
        body: { error: true, message: 'project not configured to support the users KYC endpoints' },
      });
    }
  });
});

describe('documents', () => {
  it('upload returns doc_ id, GET returns it, same type replaces, unknown is 404', async () => {
    const { call, sandbox } = await start();
    await call('PUT', `${API}/users/userId:d/legal-documents`, policy);
    const up = await call('POST', `${API}/documents`, {
      reference: { userLocator: 'userId:d' },
      documentType: 'id-passport',
      data: PNG,
      expiresAt: '2030-12-31',
    });
    expect(up).toMatchObject({
      status: 201,
      body: { id: expect.stringMatching(/^doc_/), documentType: 'id-passport', expiresAt: '2030-12-31' },
    });
    expect(new Date(up.body.createdAt).toISOString()).toBe(up.body.createdAt);
    expect((await call('GET', `${API}/documents/${up.body.id}`)).body).toEqual(up.body);

    // Older documentation puts userLocator at the top level.
    const again = await call('POST', `${API}/documents`, {
      userLocator: 'userId:d',
      documentType: 'id-passport',
      data: PNG,
    });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(up.body.id);
    expect((await call('GET', `${API}/documents/${up.body.id}`)).status).toBe(404);
    expect(sandbox.user(KEY, 'userId:d')?.documentTypes).toEqual(['id-passport']);
  });

  it('refuses an unknown document type, a non-data-URL and an unknown user', async () => {
    const { call } = await start();
    await call('PUT', `${API}/users/userId:d/legal-documents`, policy);
    const ref = { reference: { userLocator: 'userId:d' } };
    expect(
      (await call('POST', `${API}/documents`, { ...ref, documentType: 'id-license', data: PNG })).body
        .message,
    ).toContain('documentType');
    expect(
      (await call('POST', `${API}/documents`, { ...ref, documentType: 'selfie-front', data: 'x' })).status,
    ).toBe(400);
    const unknown = { reference: { userLocator: 'userId:ghost' }, documentType: 'selfie-front', data: PNG };
    expect((await call('POST', `${API}/documents`, unknown)).status).toBe(404);
  });
});

describe('verification lifecycle', () => {
  it('is not-started before a trigger, pending-privacy-policy without a policy', async () => {
    const { call } = await start();
    await call('PUT', `${API}/users/userId:v`, alice);
    const before = await call('GET', `${API}/users/userId:v/identity-verification`);
    expect(before.body.eligibility.map((e: { status: string }) => e.status)).toEqual([
      'not-started',
      'not-started',
      'not-started',
      'not-started',
    ]);
    const trig = await call('PUT', `${API}/users/userId:v/identity-verification`);
    expect(
      trig.body.eligibility.every((e: { status: string }) => e.status === 'pending-privacy-policy'),
    ).toBe(true);
  });

  it('verifyAfterPolls N needs N reads', async () => {
    const { call } = await start({ verifyAfterPolls: 3 });
    await call('PUT', `${API}/users/userId:n/legal-documents`, policy);
    await call('PUT', `${API}/users/userId:n`, alice);
    await call('PUT', `${API}/users/userId:n/identity-verification`);
    const read = async () =>
      (await call('GET', `${API}/users/userId:n/identity-verification`)).body.eligibility[2].status;
    expect([await read(), await read(), await read()]).toEqual([
      'pending-review',
      'pending-review',
      'verified',
    ]);
  });

  it('verifyAfterMs follows the sandbox clock, not the number of reads', async () => {
    // A frozen base clock: only advanceClock moves time, so the boundary is exact.
    const { call, sandbox } = await start({ verifyAfterMs: 60_000, clock: { now: () => 1_767_225_600_000 } });
    await call('PUT', `${API}/users/userId:t/legal-documents`, policy);
    await call('PUT', `${API}/users/userId:t`, alice);
    await call('PUT', `${API}/users/userId:t/identity-verification`);
    const read = async () =>
      (await call('GET', `${API}/users/userId:t/identity-verification`)).body.eligibility[2].status;
    expect(await read()).toBe('pending-review');
    sandbox.advanceClock(59_999);
    expect(await read()).toBe('pending-review');
    sandbox.advanceClock(1);
    expect(await read()).toBe('verified');
  });

  it('a re-trigger after requires-data recomputes from the data sent since', async () => {
    const { call } = await start();
    await call('PUT', `${API}/users/userId:r/legal-documents`, policy);
    await call('PUT', `${API}/users/userId:r`, { userDetails: alice.userDetails });
    const first = await call('PUT', `${API}/users/userId:r/identity-verification`);
    expect(first.body.eligibility[2]).toEqual({
      type: 'offramp',
      status: 'requires-data',
      missingData: ['kyc-data', 'verification-history'],
    });
    expect(first.body.eligibility[3]).toEqual({ type: 'regulated-transfer', status: 'pending-review' });
    await call('PUT', `${API}/users/userId:r`, alice);
    const still = await call('GET', `${API}/users/userId:r/identity-verification`);
    expect(still.body.eligibility[2].status).toBe('requires-data');
    const second = await call('PUT', `${API}/users/userId:r/identity-verification`);
    expect(second.body.eligibility[2].status).toBe('pending-review');
    // regulated-transfer was already verified by the poll above and stays so.
    expect(second.body.eligibility[3].status).toBe('verified');
  });
});
