import { TOP_LEVEL_STATES } from '@kyc-handoff/core';
import { CANARY, canaryRecord, createMemoryStore } from '@kyc-handoff/core/testing';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff } from '@kyc-handoff/engine';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectTimeoutError, createMetrics } from '../src/index.js';
import { routeOf, statusOf } from '../src/metrics-route.js';
import { Scrape } from './__test-utils__/prometheus.js';
import { API_KEY, type MetricsWorld, startMetricsWorld, userRecord } from './__test-utils__/world.js';

let world: MetricsWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const scrape = async (w: MetricsWorld) => new Scrape(await w.metrics.render());
const topLevel = (path: string) => path.split('.')[0] ?? '';

describe('metrics of a handoff, scraped as Prometheus reads them', () => {
  it('after a run, the scrape matches the store, the journal and every call the sandbox answered', async () => {
    world = await startMetricsWorld({
      // A review still pending after ten minutes fails: the `failed` state gets a user too.
      policy: { pollInitialMs: 1_000, pollMaxMs: 60_000, verificationDeadlineMs: 10 * 60_000 },
    });
    const canary = canaryRecord('m-canary');
    const ids = ['m-verified', 'm-rejected', 'm-incomplete', 'm-pending', 'm-canary'];
    await world.handoff.submit([
      userRecord('m-verified'),
      userRecord('m-rejected', 'Rejected'),
      userRecord('m-incomplete', 'Incomplete'),
      userRecord('m-pending', 'Pending'),
      { ...canary, userDetails: { ...canary.userDetails, firstName: 'Canaryname' } },
    ]);
    await world.handoff.run();

    const s = await scrape(world);
    const counts = await world.store.countsByState();
    expect(counts).toMatchObject({ verified: 2, rejected: 1, requiresData: 1, failed: 1 });
    for (const state of TOP_LEVEL_STATES) {
      expect(s.value('kyc_handoff_onboardings', { state }), state).toBe(counts[state] ?? 0);
    }
    expect(s.samples('kyc_handoff_onboardings')).toHaveLength(TOP_LEVEL_STATES.length);

    // Nothing delivers this outbox: every event waits, the oldest since the first submit.
    const outbox = await world.handoff.outbox.stats();
    expect(outbox.pending).toBeGreaterThan(0);
    expect(s.value('kyc_handoff_outbox_events', { status: 'pending' })).toBe(outbox.pending);
    expect(s.value('kyc_handoff_outbox_events', { status: 'failed' })).toBe(outbox.failed);
    expect(s.value('kyc_handoff_outbox_events', { status: 'delivered' })).toBe(outbox.delivered);
    expect(s.value('kyc_handoff_outbox_oldest_pending_age_seconds')).toBeCloseTo(
      (world.clock.now() - (outbox.oldestPendingAt ?? 0)) / 1000,
      3,
    );

    // Every call the sandbox answered, by route and status, and nothing else.
    const answered = world.sandbox.stats();
    for (const [route, stats] of Object.entries(answered.byRoute)) {
      for (const [status, n] of Object.entries(stats.byStatus)) {
        expect(s.value('kyc_handoff_crossmint_requests_total', { route, status }), `${route} ${status}`).toBe(
          n,
        );
      }
    }
    expect(s.sum('kyc_handoff_crossmint_requests_total')).toBe(answered.total);
    expect(s.family('kyc_handoff_crossmint_request_duration_seconds').type).toBe('HISTOGRAM');
    // The parser keeps only label-less histograms whole: read the per-route counts from the registry.
    const histogram = await world.metrics.registry
      .getSingleMetric('kyc_handoff_crossmint_request_duration_seconds')
      ?.get();
    for (const [route, stats] of Object.entries(answered.byRoute)) {
      const count = histogram?.values.find(
        (v) => 'metricName' in v && String(v.metricName).endsWith('_count') && v.labels.route === route,
      )?.value;
      expect(count, route).toBe(stats.total);
    }

    // Transitions: as the journal of each user has them.
    const expected = new Map<string, number>();
    for (const id of ids) {
      for (const entry of (await world.handoff.status(id, { journalLimit: 1_000 }))?.journal ?? []) {
        const key = `${entry.event} ${topLevel(entry.to)}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    }
    const counted = new Map(
      s.samples('kyc_handoff_transitions_total').map(([l, v]) => [`${l.event} ${l.to}`, v] as const),
    );
    expect(counted).toEqual(expected);
    expect(s.value('kyc_handoff_transitions_total', { event: 'VERIFICATION_STATUS', to: 'verified' })).toBe(
      2,
    );

    // Budgets and pacing, as the engine sees them.
    const activity = world.handoff.activity();
    expect(s.value('kyc_handoff_budget_tokens_granted_total', { budget: 'write' })).toBe(
      activity.writesGranted,
    );
    expect(s.value('kyc_handoff_budget_tokens_granted_total', { budget: 'read' })).toBe(
      activity.readsGranted,
    );
    const writes = Object.entries(answered.byRoute)
      .filter(([route]) => !route.startsWith('GET '))
      .reduce((a, [, r]) => a + r.total, 0);
    expect(activity.writesGranted).toBeGreaterThanOrEqual(writes);
    expect(s.value('kyc_handoff_budget_limit_per_second', { budget: 'write' })).toBe(2);
    expect(s.value('kyc_handoff_budget_limit_per_second', { budget: 'read' })).toBe(6);
    expect(s.value('kyc_handoff_budget_pace_per_second', { budget: 'write' })).toBeGreaterThan(0);
    expect(s.value('kyc_handoff_budget_tokens_available', { budget: 'write' })).toBeGreaterThanOrEqual(0);
    expect(s.value('kyc_handoff_budget_waiting', { budget: 'read' })).toBe(0);
    expect(s.value('kyc_handoff_budget_paused_seconds', { budget: 'write' })).toBe(0);
    const stats = await world.handoff.stats();
    expect(s.value('kyc_handoff_poll_interval_seconds')).toBe((stats.pollIntervalMs ?? Number.NaN) / 1000);
    expect(s.value('kyc_handoff_eta_seconds')).toBe((stats.etaMs ?? Number.NaN) / 1000);
    expect(s.value('kyc_handoff_crossmint_calls_in_flight')).toBe(0);
    expect(s.value('kyc_handoff_onboardings_driving')).toBe(0);
    expect(s.value('kyc_handoff_quarantined_total')).toBe(0);
    expect(s.value('kyc_handoff_crossmint_rate_limited_total', { budget: 'write' })).toBe(0);
    expect(s.sum('kyc_handoff_metrics_collect_errors_total')).toBe(0);

    // No user id, locator or personal data anywhere: labels are route templates and closed sets.
    for (const id of ids) expect(s.text).not.toContain(id);
    for (const secret of ['Canaryname', CANARY.ssn, CANARY.email, 'userId:', API_KEY]) {
      expect(s.text).not.toContain(secret);
    }
  });

  it('every 429 is counted against the budget it spent, and by its status', async () => {
    world = await startMetricsWorld({ policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    world.sandbox.configure({ faultRate: 1, faults: ['429'] });
    await world.handoff.submit(userRecord('m-throttled'));
    const run = world.handoff.run();
    const w = world;
    while (((await w.handoff.status('m-throttled'))?.attempts ?? 0) < 1) {
      await new Promise((r) => setImmediate(r));
    }
    world.sandbox.configure({ faultRate: 0 });
    await run;

    const s = await scrape(world);
    const refused = world.sandbox.stats().byStatus['429'] ?? 0;
    expect(refused).toBeGreaterThan(0);
    expect(s.sum('kyc_handoff_crossmint_rate_limited_total')).toBe(refused);
    expect(s.sum('kyc_handoff_crossmint_requests_total', { status: '429' })).toBe(refused);
    expect(s.value('kyc_handoff_transitions_total', { event: 'STEP_FAILED', to: 'policyPending' })).toBe(
      refused,
    );
  });

  it('while a budget is spent, the scrape shows the engine waiting for its next token', async () => {
    // Six writes a minute: a burst of one token. Every call hangs, so the first user holds the
    // token's call in flight and the second waits for the next token (the clock stands still while
    // a call is in flight).
    world = await startMetricsWorld(
      { budgets: { writesPerMinute: 6, readsPerMinute: 360 } },
      { faultRate: 1, faults: ['hang'], hangMs: 60_000 },
    );
    await world.handoff.submit([userRecord('m-first'), userRecord('m-second')]);
    const run = world.handoff.run();
    const w = world;
    while (w.handoff.activity().callsInFlight < 1 || !w.handoff.activity().budgets.write.waitingForToken) {
      await new Promise((r) => setImmediate(r));
    }
    const s = await scrape(world);
    expect(s.value('kyc_handoff_budget_waiting', { budget: 'write' })).toBe(1);
    expect(s.value('kyc_handoff_budget_waiting', { budget: 'read' })).toBe(0);
    expect(s.value('kyc_handoff_budget_tokens_available', { budget: 'write' })).toBeLessThan(1);
    expect(s.value('kyc_handoff_budget_tokens_granted_total', { budget: 'write' })).toBe(1);
    expect(s.value('kyc_handoff_crossmint_calls_in_flight')).toBe(1);
    expect(s.value('kyc_handoff_onboardings_driving')).toBe(1);
    expect(s.value('kyc_handoff_onboardings', { state: 'policyPending' })).toBe(2);
    expect(s.value('kyc_handoff_budget_limit_per_second', { budget: 'write' })).toBe(0.1);
    await world.handoff.stop({ graceMs: 0 });
    await run;
  });

  it('a store whose counts fail still answers the scrape: those metrics left out, the error counted', async () => {
    const store = createMemoryStore();
    const broken = {
      ...store,
      countsByState: () => Promise.reject(new Error('database is locked')),
    };
    const crossmint = createCrossmintClient({ baseUrl: 'http://127.0.0.1:9/api' }, { apiKey: API_KEY });
    const errors: string[] = [];
    const metrics = createMetrics({
      onCollectError: (source, error) => errors.push(`${source}: ${error.message}`),
    });
    try {
      metrics.attach({ handoff: createHandoff({ crossmint, store: broken }) });
      const first = new Scrape(await metrics.render());
      expect(first.family('kyc_handoff_onboardings').metrics).toEqual([]);
      expect(first.family('kyc_handoff_poll_interval_seconds').metrics).toEqual([]);
      expect(first.family('kyc_handoff_eta_seconds').metrics).toEqual([]);
      expect(first.value('kyc_handoff_metrics_collect_errors_total', { source: 'states' })).toBe(1);
      // The outbox and the engine's own counters are unaffected.
      expect(first.value('kyc_handoff_outbox_events', { status: 'pending' })).toBe(0);
      expect(first.value('kyc_handoff_metrics_collect_errors_total', { source: 'outbox' })).toBe(0);
      expect(first.value('kyc_handoff_budget_tokens_granted_total', { budget: 'write' })).toBe(0);
      expect(errors).toEqual(['states: database is locked']);

      const second = new Scrape(await metrics.render());
      expect(second.value('kyc_handoff_metrics_collect_errors_total', { source: 'states' })).toBe(2);
    } finally {
      metrics.close();
      await crossmint.close();
    }
  });

  it('a store read that never answers is given up after the collect timeout', async () => {
    const store = createMemoryStore();
    const stuck = { ...store, outboxStats: () => new Promise<never>(() => {}) };
    const crossmint = createCrossmintClient({ baseUrl: 'http://127.0.0.1:9/api' }, { apiKey: API_KEY });
    const errors: Error[] = [];
    const metrics = createMetrics({ collectTimeoutMs: 20, onCollectError: (_, error) => errors.push(error) });
    try {
      metrics.attach({ handoff: createHandoff({ crossmint, store: stuck }) });
      const s = new Scrape(await metrics.render());
      expect(s.family('kyc_handoff_outbox_events').metrics).toEqual([]);
      expect(s.value('kyc_handoff_onboardings', { state: 'verified' })).toBe(0);
      expect(s.value('kyc_handoff_metrics_collect_errors_total', { source: 'outbox' })).toBe(1);
      expect(errors[0]).toBeInstanceOf(CollectTimeoutError);
    } finally {
      metrics.close();
      await crossmint.close();
    }
  });

  it('after close, transitions are no longer counted and the store is no longer read', async () => {
    world = await startMetricsWorld({ policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    world.metrics.close();
    await world.handoff.submit(userRecord('m-after-close'));
    await world.handoff.run();
    const s = await scrape(world);
    expect(s.family('kyc_handoff_transitions_total').metrics).toEqual([]);
    expect(s.family('kyc_handoff_onboardings').metrics).toEqual([]);
    expect(s.family('kyc_handoff_crossmint_requests_total').metrics).toEqual([]);
  });

  it('two handoffs in one process keep separate registries, and the global one stays empty', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.observeCall({ method: 'GET', path: '/2025-06-09/users/userId%3Aa', status: 200, durationMs: 12 });
    const sa = new Scrape(await a.render());
    const sb = new Scrape(await b.render());
    expect(sa.value('kyc_handoff_crossmint_requests_total', { route: 'GET /users/{locator}' })).toBe(1);
    expect(sb.family('kyc_handoff_crossmint_requests_total').metrics).toEqual([]);
    expect(globalRegistry.getMetricsAsArray()).toEqual([]);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('labels of a Crossmint call', () => {
  it('a path becomes its route template: no locator or document id ever reaches a label', () => {
    const v = '/2025-06-09';
    expect(routeOf('PUT', `${v}/users/userId%3Aabc/identity-verification`)).toBe(
      'PUT /users/{locator}/identity-verification',
    );
    expect(routeOf('GET', `${v}/users/userId%3Aabc/identity-verification`)).toBe(
      'GET /users/{locator}/identity-verification',
    );
    expect(routeOf('PUT', `${v}/users/email%3Aa%40b.c/legal-documents`)).toBe(
      'PUT /users/{locator}/legal-documents',
    );
    expect(routeOf('PUT', `${v}/users/userId%3Aabc`)).toBe('PUT /users/{locator}');
    expect(routeOf('POST', `${v}/documents`)).toBe('POST /documents');
    expect(routeOf('GET', `${v}/documents/doc-123?x=1`)).toBe('GET /documents/{id}');
    expect(routeOf('GET', `${v}/users/userId%3Aabc/wallets/xyz`)).toBe('GET other');
    expect(routeOf('BREW', '/users/u')).toBe('OTHER /users/{locator}');
  });

  it('the status is the HTTP status, else the error kind, else `error`', () => {
    expect(statusOf({ status: 429, errorKind: 'rate-limited' })).toBe('429');
    expect(statusOf({ errorKind: 'transient' })).toBe('transient');
    expect(statusOf({ errorKind: 'Ada Lovelace 987-65-4320' })).toBe('error');
    expect(statusOf({})).toBe('error');
  });
});
