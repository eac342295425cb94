import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../src/index.js';
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

// ---- bad admin and option values: a 400 naming the field and its rule, and nothing changed ------

/** A sandbox on a fixed clock, so "the clock did not move" is an exact comparison. */
async function startFixed(now = 1_767_225_600_000) {
  const started = await start({ clock: { now: () => now } });
  const admin = async (method: 'GET' | 'PUT' | 'POST', path: string, body?: string) => {
    const res = await request(`${started.url}/__sandbox/${path}`, { method, ...(body ? { body } : {}) });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };
  /** Config and clock as the admin API shows them. */
  const observed = async () => ({
    config: (await admin('GET', 'config')).body,
    clock: (await admin('GET', 'clock')).body,
  });
  /** An ordinary API write, which reads the clock and formats it as a date. */
  const apiStillAnswers = async (id: string) => {
    const res = await started.call('PUT', `${API}/users/userId:${id}/legal-documents`, policy);
    expect(res.status, res.body.message).toBe(200);
    expect(res.body).toEqual({ acceptedAt: policy.acceptedAt });
  };
  return { ...started, admin, observed, apiStillAnswers };
}

const TIMER = 'must be a number of ms from 0 to 2147483647 (the most a Node timer waits)';
const COUNT = 'must be a whole number >= 0';

describe('PUT /__sandbox/config refuses a bad value with a 400 and changes nothing', () => {
  // Values are raw JSON: 1e400 is how JSON spells a number that parses to Infinity.
  const rows = [
    { field: 'latencyMs', values: ['2147483648', '1e16', '1e400', '-1', '"5"'], rule: TIMER },
    { field: 'hangMs', values: ['2147483648', '1e400', '-0.5', 'null'], rule: TIMER },
    { field: 'writesPerMin', values: ['1.5', '1e400', '-1', '"120"'], rule: COUNT },
    { field: 'readsPerMin', values: ['0.5', '1e400', '9007199254740993'], rule: COUNT },
    { field: 'verifyAfterPolls', values: ['2.5', '1e400', '-1'], rule: COUNT },
    {
      field: 'verifyAfterMs',
      values: ['3155760000001', '1e300', '1e400', '-1', '"soon"'],
      rule: 'must be null or a number of ms from 0 to 3155760000000 (100 years)',
    },
    { field: 'faultRate', values: ['1.5', '-0.1', '1e400', '"0.5"'], rule: 'must be a number from 0 to 1' },
    {
      field: 'faults',
      values: ['["boom"]', '"hang"', '[429]'],
      rule: 'must be a list of 429, 500, 503, hang, reset, lost-response',
    },
    { field: 'strict', values: ['"yes"', '1'], rule: 'must be true or false' },
  ];
  it.each(rows.map((row) => [`${row.field}: ${row.values.join(', ')}`, row] as const))(
    '%s',
    async (_, { field, values, rule }) => {
      const { admin, observed, apiStillAnswers } = await startFixed();
      const before = await observed();
      for (const value of values) {
        const res = await admin('PUT', 'config', `{"kycDisabled":true,"${field}":${value}}`);
        expect(res, value).toMatchObject({ status: 400, body: { message: `${field} ${rule}` } });
        // kycDisabled was valid, yet the patch is all or nothing.
        expect(await observed(), value).toEqual(before);
        await apiStillAnswers(`after-${field}`);
      }
    },
  );

  it('a setting that does not exist (a typo) is refused, not ignored', async () => {
    const { admin, observed, apiStillAnswers } = await startFixed();
    const before = await observed();
    const res = await admin('PUT', 'config', '{"latencyMS":5}');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^latencyMS is not a setting \(known: faultRate, .*latencyMs/);
    expect(await observed()).toEqual(before);
    await apiStillAnswers('after-typo');
  });
});

describe('POST /__sandbox/clock/advance refuses a bad step with a 400 and leaves the clock', () => {
  it.each([
    ['1e16 ms (answered 400 yet moved the clock, and the next request crashed the process)', '{"ms":1e16}'],
    ['Infinity ms', '{"ms":1e400}'],
    ['a negative step', '{"ms":-1}'],
    ['ms as a string', '{"ms":"1000"}'],
    ['ms null', '{"ms":null}'],
    ['no ms at all', '{}'],
  ])('%s', async (_, body) => {
    const { admin, observed, apiStillAnswers } = await startFixed();
    const before = await observed();
    const res = await admin('POST', 'clock/advance', body);
    expect(res).toMatchObject({
      status: 400,
      body: { message: 'ms must be a number from 0 to 3155760000000 (100 years) per step' },
    });
    expect(await observed()).toEqual(before);
    await apiStillAnswers('after-step');
  });

  it('a step that would carry the clock past the last valid Date', async () => {
    const { admin, observed, apiStillAnswers } = await startFixed(8.64e15 - 1_000);
    const before = await observed();
    const res = await admin('POST', 'clock/advance', '{"ms":2000}');
    expect(res).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^ms would move the clock past \+275760-09-13T00:00:00\.000Z/) },
    });
    expect(await observed()).toEqual(before);
    await apiStillAnswers('at-the-end-of-time');
    expect((await admin('POST', 'clock/advance', '{"ms":1000}')).status).toBe(200);
  });

  it('GET /__sandbox/clock shows the sandbox time, advanced', async () => {
    const { admin } = await startFixed(0);
    expect((await admin('GET', 'clock')).body).toEqual({ now: '1970-01-01T00:00:00.000Z' });
    await admin('POST', 'clock/advance', '{"ms":60000}');
    expect((await admin('GET', 'clock')).body).toEqual({ now: '1970-01-01T00:01:00.000Z' });
  });
});

describe('the JS API refuses the same values, changing nothing', () => {
  it('configure and advanceClock throw and leave config and clock as they were', async () => {
    const { sandbox } = await startFixed();
    const config = sandbox.config();
    const now = sandbox.now();
    expect(() => sandbox.configure({ kycDisabled: true, hangMs: 2 ** 31 })).toThrow(`hangMs ${TIMER}`);
    expect(() => sandbox.configure({ latencyMs: Number.NaN })).toThrow(`latencyMs ${TIMER}`);
    expect(() => sandbox.configure({ faultRate: Number.NaN })).toThrow(
      'faultRate must be a number from 0 to 1',
    );
    expect(() => sandbox.configure({ verifyAfterPolls: 0.5 })).toThrow(`verifyAfterPolls ${COUNT}`);
    expect(() => sandbox.advanceClock(1e16)).toThrow(RangeError);
    expect(() => sandbox.advanceClock(Number.NaN)).toThrow(RangeError);
    expect(sandbox.config()).toEqual(config);
    expect(sandbox.now()).toBe(now);
  });

  it('createSandbox refuses bad options before anything runs', () => {
    expect(() => createSandbox({ hangMs: 2 ** 31 })).toThrow(`invalid sandbox option: hangMs ${TIMER}`);
    expect(() => createSandbox({ writesPerMin: 1.5 })).toThrow(
      `invalid sandbox option: writesPerMin ${COUNT}`,
    );
    expect(() => createSandbox({ verifyAfterMs: Number.POSITIVE_INFINITY })).toThrow(
      /verifyAfterMs must be null/,
    );
    expect(() => createSandbox({ seed: 0.5 })).toThrow('invalid sandbox option: seed must be a whole number');
  });
});

describe('a request the sandbox itself fails on', () => {
  it('answers 500 and the sandbox keeps serving', async () => {
    let fail = true;
    const { call } = await start({
      clock: {
        now: () => {
          if (!fail) return 0;
          fail = false;
          throw new RangeError('simulated');
        },
      },
    });
    const failed = await call('GET', `${API}/users/userId:x`);
    expect(failed).toMatchObject({
      status: 500,
      body: { message: 'the sandbox failed on this request (RangeError)' },
    });
    expect((await call('GET', `${API}/users/userId:x`)).status).toBe(404);
  });
});
