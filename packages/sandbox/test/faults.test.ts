import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { API, alice, KEY, policy, start } from './helpers.js';

describe('faults', () => {
  it('X-Sandbox-Fault 429, 500 and 503 answer with the error shape and do not apply the write', async () => {
    const { call, sandbox } = await start();
    const path = `${API}/users/userId:f/legal-documents`;
    const r429 = await call('PUT', path, policy, { 'x-sandbox-fault': '429' });
    expect(r429).toMatchObject({ status: 429, body: { error: true } });
    expect(r429.headers['retry-after']).toBe('1');
    expect(await call('PUT', path, policy, { 'x-sandbox-fault': '500' })).toMatchObject({
      status: 500,
      body: { error: true },
    });
    expect(await call('PUT', path, policy, { 'x-sandbox-fault': '503' })).toMatchObject({
      status: 503,
      body: { error: true },
    });
    expect(sandbox.user(KEY, 'userId:f')).toBeUndefined();
    const stats = sandbox.stats();
    expect(stats.faults).toEqual({ '429': 1, '500': 1, '503': 1 });
    expect(stats.byRoute['PUT /users/{locator}/legal-documents']).toMatchObject({
      total: 3,
      byStatus: { '429': 1, '500': 1, '503': 1 },
    });
    expect(stats.rateLimited).toBe(0);
  });

  it('an unknown X-Sandbox-Fault is refused', async () => {
    const { call } = await start();
    expect(
      (await call('GET', `${API}/users/userId:x`, undefined, { 'x-sandbox-fault': 'fire' })).status,
    ).toBe(400);
  });

  it('reset drops the connection before applying the write', async () => {
    const { call, sandbox } = await start();
    await expect(
      call('PUT', `${API}/users/userId:f/legal-documents`, policy, { 'x-sandbox-fault': 'reset' }),
    ).rejects.toThrow();
    expect(sandbox.user(KEY, 'userId:f')).toBeUndefined();
    expect(sandbox.stats().faults.reset).toBe(1);
  });

  it('lost-response applies the write, visible in admin, yet the client sees a socket error', async () => {
    const { call, sandbox } = await start();
    await call('PUT', `${API}/users/userId:l/legal-documents`, policy);
    await expect(
      call('PUT', `${API}/users/userId:l`, alice, { 'x-sandbox-fault': 'lost-response' }),
    ).rejects.toThrow();
    const view = sandbox.user(KEY, 'userId:l');
    expect(view?.writes.upsert).toBe(1);
    expect(view?.sections.userDetails?.lastName).toBe('Smith');
    expect(sandbox.stats().faults['lost-response']).toBe(1);
    // The retry with the same body converges and adds no new body hash.
    expect((await call('PUT', `${API}/users/userId:l`, alice)).status).toBe(200);
    expect(sandbox.user(KEY, 'userId:l')?.bodyHashes.upsert).toHaveLength(1);
  });

  it('lost-response on a GET behaves like a reset: the poll is not counted', async () => {
    const { call, sandbox } = await start();
    await call('PUT', `${API}/users/userId:g/legal-documents`, policy);
    await call('PUT', `${API}/users/userId:g`, alice);
    await call('PUT', `${API}/users/userId:g/identity-verification`);
    await expect(
      call('GET', `${API}/users/userId:g/identity-verification`, undefined, {
        'x-sandbox-fault': 'lost-response',
      }),
    ).rejects.toThrow();
    expect(sandbox.user(KEY, 'userId:g')?.verification?.polls).toBe(0);
  });

  it('hang holds the request past the client timeout, then drops it', async () => {
    const { url, sandbox } = await start({ hangMs: 5_000 });
    const pending = request(`${url}${API}/users/userId:h`, {
      headers: { 'x-api-key': KEY, 'x-sandbox-fault': 'hang' },
      headersTimeout: 100,
    });
    await expect(pending).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(sandbox.stats().faults.hang).toBe(1);
  });

  it('close() destroys hung sockets', async () => {
    const { url, sandbox } = await start({ hangMs: 60_000 });
    const pending = request(`${url}${API}/users/userId:h`, {
      headers: { 'x-api-key': KEY, 'x-sandbox-fault': 'hang' },
    });
    const settled = pending.then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 20));
    await sandbox.close();
    expect(await settled).toBe('dropped');
  });

  it('faultRate with a seed is repeatable and draws only enabled kinds', async () => {
    const run = async () => {
      const { call, sandbox } = await start({ faultRate: 0.5, faults: ['500', '503'], seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await call('GET', `${API}/users/userId:nobody`)).status);
      return { statuses, faults: sandbox.stats().faults };
    };
    const a = await run();
    const b = await run();
    expect(a.statuses).toEqual(b.statuses);
    expect(new Set(a.statuses)).toEqual(new Set([404, 500, 503]));
    expect(Object.keys(a.faults).sort()).toEqual(['500', '503']);
  });

  it('latencyMs delays the answer', async () => {
    const { call } = await start({ latencyMs: 30 });
    const started = performance.now();
    await call('GET', `${API}/users/userId:nobody`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });
});
