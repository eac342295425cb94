import { describe, expect, it } from 'vitest';
import { API, KEY, policy, start } from './helpers.js';

const frozen = { now: () => 1_767_225_600_000 };

describe('rate limits per API key, sliding 60 s window', () => {
  it('the write after the limit gets 429 with Retry-After and is not applied; later writes pass', async () => {
    const { call, sandbox } = await start({ writesPerMin: 2, readsPerMin: 0, clock: frozen });
    const put = (id: string) => call('PUT', `${API}/users/userId:${id}/legal-documents`, policy);
    expect((await put('a')).status).toBe(200);
    sandbox.advanceClock(10_000);
    expect((await put('b')).status).toBe(200);
    const limited = await put('c');
    expect(limited).toMatchObject({ status: 429, body: { error: true, message: expect.any(String) } });
    // The first slot frees 60 s after the first write, 50 s from now.
    expect(limited.headers['retry-after']).toBe('50');
    expect(sandbox.user(KEY, 'userId:c')).toBeUndefined();

    sandbox.advanceClock(49_000);
    expect((await put('c')).headers['retry-after']).toBe('1');
    sandbox.advanceClock(1_000);
    expect((await put('c')).status).toBe(200);
    expect(sandbox.stats().rateLimited).toBe(2);
    expect(sandbox.stats().byRoute['PUT /users/{locator}/legal-documents']?.byStatus['429']).toBe(2);
  });

  it('reads have their own budget and each API key its own window', async () => {
    const { call, sandbox } = await start({ writesPerMin: 0, readsPerMin: 1, clock: frozen });
    await call('PUT', `${API}/users/userId:r/legal-documents`, policy);
    expect((await call('GET', `${API}/users/userId:r`)).status).toBe(200);
    const second = await call('GET', `${API}/users/userId:r`);
    expect(second.status).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(
      (await call('GET', `${API}/users/userId:r`, undefined, { 'x-api-key': 'sk_staging_another1' })).status,
    ).toBe(404);
    expect((await call('PUT', `${API}/users/userId:r/legal-documents`, policy)).status).toBe(200);
    sandbox.advanceClock(60_000);
    expect((await call('GET', `${API}/users/userId:r`)).status).toBe(200);
  });

  it('defaults to 120 writes and 360 reads per minute; 0 means unlimited', async () => {
    const { sandbox } = await start({ writesPerMin: undefined, readsPerMin: undefined });
    // start() turns limits off unless told otherwise; an explicit undefined keeps the defaults.
    expect(sandbox.config()).toMatchObject({ writesPerMin: 120, readsPerMin: 360 });
    const { call } = await start({ writesPerMin: 0 });
    for (let i = 0; i < 150; i++) {
      expect((await call('PUT', `${API}/users/userId:u${i}/legal-documents`, policy)).status).toBe(200);
    }
  });
});
