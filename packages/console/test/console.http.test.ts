import type { OnboardingStore } from '@kyc-handoff/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type Console, createConsole } from '../src/index.js';
import { addHostileRow, SEEDED, type Seeded, seededStore } from './__test-utils__/seed.js';

const TOKEN = 'test-token-0123456789abcdef';
const HOST = { host: '127.0.0.1:4300' };

let world: Seeded;
let console_: Console;

beforeEach(async () => {
  world = await seededStore();
  console_ = createConsole({ ...world, token: TOKEN, allowedHosts: ['127.0.0.1:4300', 'localhost:4300'] });
});

const get = (path: string, headers: Record<string, string> = {}) =>
  console_.app.request(`http://127.0.0.1:4300${path}`, { headers: { ...HOST, ...headers } });
const post = (path: string, headers: Record<string, string> = {}, body?: string) =>
  console_.app.request(`http://127.0.0.1:4300${path}`, {
    method: 'POST',
    headers: {
      ...HOST,
      ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }),
      ...headers,
    },
    ...(body !== undefined && { body }),
  });

/** Everything an action could change: each row's state and version, and the transition counts. */
async function snapshotOf(store: OnboardingStore) {
  const rows = await store.list({ limit: 1_000 });
  return {
    rows: rows.map((r) => [r.userId, r.state, r.version, r.updatedAt]),
    transitions: await store.countsByTransition(),
    outbox: await store.outboxStats(),
  };
}

describe('actions need the token', () => {
  it('a retry without the token is refused with 403 and the failed user stays failed', async () => {
    const before = await snapshotOf(world.store);
    const res = await post('/users/bad-1/retry');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('actions need the token');
    expect(await snapshotOf(world.store)).toEqual(before);
  });

  it('a retry with a wrong token is refused with 403 and changes nothing', async () => {
    const before = await snapshotOf(world.store);
    const res = await post('/users/bad-1/retry', { 'x-console-token': `${TOKEN}x` });
    expect(res.status).toBe(403);
    expect(await snapshotOf(world.store)).toEqual(before);
  });

  it('the token in a cookie alone does not authorize an action (a forged cross-site form carries cookies)', async () => {
    const res = await post('/users/bad-1/retry', { cookie: `kyc_console=${TOKEN}` });
    expect(res.status).toBe(403);
    expect((await world.store.get('bad-1'))?.state).toBe('failed');
  });

  it('a retry with the token sends the failed user back to the start', async () => {
    const res = await post('/users/bad-1/retry', { 'x-console-token': TOKEN });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Retried user <code>bad-1</code>: now policyPending.recordingPolicy');
    expect((await world.store.get('bad-1'))?.state).toBe('policyPending');
  });

  it("a retry of a user who has not failed is refused with the engine's reason and changes nothing", async () => {
    const res = await post('/users/ok-1/retry', { 'x-console-token': TOKEN });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('user ok-1 is verified; this only applies to failed');
    expect((await world.store.get('ok-1'))?.state).toBe('verified');
  });

  it('"retry all matching" retries the failed users of one error kind only', async () => {
    const res = await post('/queues/failed/retry', { 'x-console-token': TOKEN }, 'kind=invalid-data');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Retried 2 of 2 failed users with a last error of invalid-data');
    const states = await Promise.all(
      ['bad-1', 'bad-2', 'gone-1'].map(async (id) => (await world.store.get(id))?.state),
    );
    expect(states).toEqual(['policyPending', 'policyPending', 'failed']);
  });

  it('every method but GET and HEAD is an action: a DELETE without the token is refused too', async () => {
    const res = await console_.app.request('http://127.0.0.1:4300/users/bad-1/retry', {
      method: 'DELETE',
      headers: HOST,
    });
    expect(res.status).toBe(403);
  });
});

describe('read-only', () => {
  it('shows no action and refuses every POST with 403, even with the token', async () => {
    console_ = createConsole({ ...world, token: TOKEN, readOnly: true });
    const queues = await (await get('/queues', { cookie: '' })).text();
    expect(queues).toContain('bad-1');
    expect(queues).not.toContain('hx-post');
    expect(queues).not.toContain('Retry');
    for (const path of ['/users/bad-1/retry', '/queues/failed/retry']) {
      const res = await post(path, { 'x-console-token': TOKEN }, 'kind=*');
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('read-only');
    }
    expect((await world.store.get('bad-1'))?.state).toBe('failed');
  });
});

describe('the Host check (DNS rebinding)', () => {
  it('refuses a request whose Host header names another site with 403', async () => {
    const res = await get('/', { host: 'evil.example:4300' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('does not name this console');
  });

  it('refuses the right name with another port, and answers the bound address and localhost', async () => {
    expect((await get('/', { host: '127.0.0.1:4301' })).status).toBe(403);
    expect((await get('/', { host: '127.0.0.1:4300' })).status).toBe(200);
    expect((await get('/', { host: 'localhost:4300' })).status).toBe(200);
  });

  it('refuses a POST from another Host even with the token, before looking at it', async () => {
    const res = await post('/users/bad-1/retry', { host: 'evil.example', 'x-console-token': TOKEN });
    expect(res.status).toBe(403);
    expect((await world.store.get('bad-1'))?.state).toBe('failed');
  });

  it('without a list of hosts, accepts loopback names on any port only', async () => {
    console_ = createConsole({ ...world, token: TOKEN });
    expect((await get('/', { host: 'localhost:9999' })).status).toBe(200);
    expect((await get('/', { host: '[::1]:4300' })).status).toBe(200);
    expect((await get('/', { host: 'attacker.example' })).status).toBe(403);
  });
});

describe('the token address', () => {
  it('opening ?token= stores it in an HttpOnly SameSite cookie and redirects to the address without it', async () => {
    const res = await get('/queues?token=' + TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/queues');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await (await get('/queues', { cookie: cookie.split(';')[0] ?? '' })).text();
    // htmx sends the header from pages of a browser that proved it knows the token.
    expect(page).toContain(`hx-headers="{&quot;X-Console-Token&quot;:&quot;${TOKEN}&quot;}"`);
  });

  it('pages viewed without the token never contain it, and say how to unlock actions', async () => {
    const page = await (await get('/queues')).text();
    expect(page).not.toContain(TOKEN);
    expect(page).toContain('actions need the token');
  });

  it('a wrong ?token= sets nothing and warns that actions will be refused', async () => {
    const res = await get('/?token=stale-token-from-last-start');
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('is not this console');
  });
});

describe('escaping', () => {
  const HOSTILE = '<script>alert(1)</script>';

  it('a user id that is markup renders as text on its page and in its live part', async () => {
    await addHostileRow(world.store, HOSTILE);
    for (const path of [
      '/users/' + encodeURIComponent(HOSTILE),
      '/live/users/' + encodeURIComponent(HOSTILE),
    ]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain('<script>alert');
      expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });

  it('a searched id that is markup is shown as text on the "no onboarding" page', async () => {
    const search = await get('/users?id=' + encodeURIComponent(HOSTILE));
    expect(search.status).toBe(303);
    const res = await get(search.headers.get('location') ?? '');
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toContain('<script>alert');
    expect(text).toContain('No onboarding for user <code>&lt;script&gt;alert(1)&lt;/script&gt;</code>');
  });
});

describe('viewing', () => {
  it('GET of every page and fragment changes nothing in the store and never reads a record', async () => {
    const loadRecord = vi.spyOn(world.store, 'loadRecord');
    const before = await snapshotOf(world.store);
    for (const path of [
      '/',
      '/machine',
      '/queues',
      '/users/bad-1',
      '/live/overview',
      '/live/machine',
      '/live/queues',
      '/live/users/bad-1',
      '/users/bad-1/retry',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBeLessThan(500);
    }
    expect(await snapshotOf(world.store)).toEqual(before);
    expect(loadRecord).not.toHaveBeenCalled();
  });

  it('the overview shows the counts by state, the funnel and the budgets', async () => {
    const text = await (await get('/')).text();
    for (const [state, ids] of Object.entries(SEEDED)) {
      expect(text).toMatch(
        new RegExp(`<tr data-state="${state}"><td>${state}</td><td class="n">${ids.length}</td>`),
      );
    }
    expect(text).toMatch(/<tr data-state="total"><th>total<\/th><th class="n">11<\/th>/);
    // submitted 11; user created: all but policyPending and failed (7); triggered 7; verified 3.
    expect(text).toMatch(/data-stage="submitted"><td>submitted<\/td><td class="n">11</);
    expect(text).toMatch(
      /data-stage="verification triggered"><td>verification triggered<\/td><td class="n">7</,
    );
    expect(text).toMatch(/data-stage="verified"><td>verified<\/td><td class="n">3</);
    // The seeded engine runs without limits: both budgets say so, and what this process was granted.
    expect(text).toMatch(/<tr data-budget="write">\s*<td>write<\/td><td class="n">unlimited<\/td>/);
    expect(text).toMatch(/<tr data-budget="read">[\s\S]*?<td>unlimited<\/td><\/tr>/);
  });

  it('the machine page puts the state counts on the diagram and the journal counts on its edges', async () => {
    const text = await (await get('/machine')).text();
    expect(text).toContain('data-state="verified" data-count="3"');
    expect(text).toContain('data-state="failed" data-count="3"');
    expect(text).toContain('data-state="requiresData" data-count="2"');
    expect(text).toContain('data-state="verificationPending" data-count="1"');
    expect(text).toContain(
      'data-from="userCreated_triggering" data-event="VERIFICATION_STATUS" data-to="verified" data-count="3"',
    );
    expect(text).toContain(
      'data-from="userCreated_submittingKyc" data-event="STEP_FAILED" data-to="failed" data-count="3"',
    );
    expect(text).toContain(
      'data-from="start" data-event="submitted" data-to="policyPending_recordingPolicy" data-count="11"',
    );
    expect(text).toContain('data-event="RETRY" data-to="policyPending_recordingPolicy" data-count="0"');
  });

  it('the queues show what each waiting user is missing and why each failed user failed', async () => {
    const text = await (await get('/queues')).text();
    expect(text).toMatch(/data-user="more-1">.*<td>data kyc-data, document proof-of-address<\/td>/);
    expect(text).toMatch(/data-user="bad-1">.*<td>invalid-data<\/td><td>invalid-data<\/td>/);
    expect(text).toMatch(/data-user="gone-1">.*<td>not-found<\/td>/);
    expect(text).toContain('data-retry="gone-1"');
    expect(text).toMatch(/<td>pending<\/td><td class="n">\d+<\/td>/);
  });

  it('a user page shows the state and the journal', async () => {
    const text = await (await get('/users/ok-1')).text();
    expect(text).toContain('<strong id="state">verified</strong>');
    expect(text).toContain('<td>userCreated.triggering</td><td>VERIFICATION_STATUS</td><td>verified</td>');
  });

  it('answers with headers that forbid caching, framing and foreign scripts', async () => {
    const res = await get('/');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves htmx from the package, with no CDN', async () => {
    const res = await get('/assets/htmx.min.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect((await res.text()).length).toBeGreaterThan(40_000);
    expect(await (await get('/')).text()).toContain('<script src="/assets/htmx.min.js"></script>');
  });
});

describe('/metrics', () => {
  it('answers 404 with a clear text when the console has no metrics', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('metrics are not enabled on this console');
  });

  it('serves the metrics text with its content type when given', async () => {
    const metrics = {
      render: async () => 'kyc_handoff_up 1\n',
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
    };
    console_ = createConsole({ ...world, token: TOKEN, metrics });
    const res = await get('/metrics', { host: 'localhost' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.contentType);
    expect(await res.text()).toBe('kyc_handoff_up 1\n');
  });
});
