import type { CrossmintPort } from '@kyc-handoff/core';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { ResultAsync } from 'neverthrow';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoff } from '../src/index.js';
import { API_KEY, locator, userRecord } from './__test-utils__/harness.js';
import {
  type Fixture,
  finished,
  maxInWindow,
  mulberry32,
  pause,
  postgresAvailable,
  startFixture,
  tsxAvailable,
  type WorkerProcess,
  type WorkerSummary,
} from './__test-utils__/pg-workers.js';

/** Every fifth user is one the sandbox rejects, so both outcomes are in every run. */
const isRejected = (i: number) => i % 5 === 0;
const records = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => userRecord(`${prefix}-${i}`, isRejected(i) ? 'Rejected' : 'Smith'));
const rejectedAmong = (n: number) => Math.ceil(n / 5);

const WRITE_ENDPOINTS = ['legalDocuments', 'upsert', 'trigger'] as const;

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** Every user ended verified or rejected, as its last name says. */
async function expectAllTerminal(f: Fixture, users: number) {
  expect(await f.store.countsByState()).toEqual({
    verified: users - rejectedAmong(users),
    rejected: rejectedAmong(users),
  });
  const { rows } = await f.store.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${f.schema}".onboardings WHERE lease_owner IS NOT NULL OR wake_at IS NOT NULL`,
  );
  expect(rows[0]?.n, 'rows still leased or scheduled').toBe(0);
}

/**
 * What the sandbox saw of each user: one distinct body per write endpoint, and each endpoint written
 * exactly once (`exactlyOnce`, when no worker died) or at least once (a repeat after a crash is the
 * same body sent again). Returns how many writes were repeats.
 */
function expectWrites(f: Fixture, prefix: string, users: number, exactlyOnce: boolean): number {
  let repeats = 0;
  const problems: string[] = [];
  for (let i = 0; i < users; i++) {
    const user = f.sandbox.user(API_KEY, locator(`${prefix}-${i}`));
    if (user === undefined) {
      problems.push(`${prefix}-${i} never reached the sandbox`);
      continue;
    }
    for (const endpoint of WRITE_ENDPOINTS) {
      const writes = user.writes[endpoint];
      const bodies = user.bodyHashes[endpoint].length;
      if (bodies !== 1) problems.push(`${prefix}-${i} ${endpoint}: ${bodies} distinct bodies`);
      if (exactlyOnce ? writes !== 1 : writes < 1)
        problems.push(`${prefix}-${i} ${endpoint}: ${writes} writes`);
      repeats += Math.max(0, writes - 1);
    }
  }
  expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([]);
  return repeats;
}

/** Waits until `condition` holds, checking every few ms; fails if `bail` turns true first. */
async function waitUntil(condition: () => boolean | Promise<boolean>, bail: () => boolean, what: string) {
  while (!(await condition())) {
    if (bail()) throw new Error(`gave up waiting: ${what}`);
    await pause(3);
  }
}

const anyExited = (workers: readonly WorkerProcess[]) => () => workers.some((w) => w.hasExited());

function describeRun(summaries: readonly WorkerSummary[]): string {
  return summaries
    .map((s) => `${s.worker} ${s.transitions} transitions of ${s.users} users in ${s.durationMs} ms`)
    .join('; ');
}

describe
  .skipIf(!postgresAvailable || !tsxAvailable)
  .sequential('several worker processes on one PostgreSQL schema', () => {
    // Three workers on two cores are CPU-bound: fewer users keep that run as short as the other.
    for (const [count, USERS] of [
      [2, 2_000],
      [3, 1_500],
    ] as const) {
      it(`${count} workers share ${USERS} users: all terminal, every effect sent once, every worker took part`, async () => {
        const prefix = `w${count}`;
        fixture = await startFixture({ latencyMs: 5, verifyAfterPolls: 1 });
        await fixture.submit(records(prefix, USERS));
        const started = Date.now();
        // Leases long next to any step here, so the lease lapse pinned below should not occur.
        const workers = Array.from({ length: count }, (_, i) =>
          fixture!.startWorker(String(i + 1), { leaseMs: 3_000 }),
        );
        const summaries = await Promise.all(workers.map(finished));
        const elapsed = Date.now() - started;

        await expectAllTerminal(fixture, USERS);
        expectWrites(fixture, prefix, USERS, true);
        for (const s of summaries)
          expect(s.transitions, `${s.worker} committed transitions`).toBeGreaterThan(0);
        const journal = await fixture.store.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${fixture.schema}".journal`,
        );
        // Each committed transition is one journal row, and no transition was committed twice.
        expect(summaries.reduce((a, s) => a + s.transitions, 0)).toBe(journal.rows[0]?.n);
        expect(fixture.sandbox.stats().byStatus['429'] ?? 0).toBe(0);
        console.info(
          `${count} workers, ${USERS} users, ${fixture.sandbox.stats().total} requests in ${elapsed} ms: ${describeRun(summaries)}`,
        );
      }, 60_000);
    }

    it('two workers configured with one budget stay within it together: no 429, no window over the limit', async () => {
      const USERS = 20;
      const WRITES_PER_MIN = 300;
      const READS_PER_MIN = 900;
      // The shared bucket starts with a burst (2% of the limit) and each worker may hold one batch.
      const burst = Math.floor(WRITES_PER_MIN * 0.02);
      const slack = burst * 3;
      fixture = await startFixture({
        latencyMs: 5,
        verifyAfterPolls: 1,
        writesPerMin: WRITES_PER_MIN,
        readsPerMin: READS_PER_MIN,
      });
      await fixture.submit(records('budget', USERS));
      const budgets = { writesPerMinute: WRITES_PER_MIN, readsPerMinute: READS_PER_MIN };
      const workers = ['1', '2'].map((id) => fixture!.startWorker(id, { budgets }));
      const summaries = await Promise.all(workers.map(finished));

      await expectAllTerminal(fixture, USERS);
      // Exactly once even though calls wait for tokens: leases are renewed while they wait.
      const repeats = expectWrites(fixture, 'budget', USERS, true);
      const stats = fixture.sandbox.stats();
      expect(stats.rateLimited).toBe(0);
      expect(stats.byStatus['429'] ?? 0).toBe(0);
      for (const s of summaries) expect(s.writesGranted, `${s.worker} wrote`).toBeGreaterThan(0);

      const times = [...fixture.writeTimes].sort((a, b) => a - b);
      expect(times).toHaveLength(USERS * WRITE_ENDPOINTS.length + repeats);
      const spanMs = times.at(-1)! - times[0]!;
      const allowed = (ms: number) => (WRITES_PER_MIN * ms) / 60_000 + slack;
      // Two workers each pacing at the full limit would do these writes in half the time.
      expect(times.length).toBeLessThanOrEqual(allowed(spanMs));
      for (const windowMs of [5_000, 10_000]) {
        expect(maxInWindow(times, windowMs), `writes in a ${windowMs} ms window`).toBeLessThanOrEqual(
          allowed(windowMs),
        );
      }
      // And the budget was what paced them: together they used most of it.
      expect(times.length).toBeGreaterThanOrEqual((0.8 * (WRITES_PER_MIN * spanMs)) / 60_000);
      console.info(
        `budget: ${times.length} writes in ${spanMs} ms = ${((times.length * 60_000) / spanMs).toFixed(0)}/min ` +
          `(limit ${WRITES_PER_MIN}/min; at most ${maxInWindow(times, 10_000)} in 10 s), ${repeats} repeated: ` +
          describeRun(summaries),
      );
    }, 60_000);

    it('a worker SIGKILLed while it holds leases: its leases expire and the other worker finishes its users', async () => {
      const USERS = 600;
      const random = mulberry32(20_261_127);
      fixture = await startFixture({ latencyMs: 5, verifyAfterPolls: 1 });
      await fixture.submit(records('kill', USERS));
      const [victim, survivor] = ['1', '2'].map((id) => fixture!.startWorker(id));
      const workers = [victim!, survivor!];
      const f = fixture;
      // Mid-run: after a seeded number of requests, at a moment the victim holds live leases.
      const target = 200 + Math.floor(random() * 800);
      await waitUntil(() => f.sandbox.stats().total >= target, anyExited(workers), `${target} requests`);
      const leasedBy = async (owner: string) =>
        (
          await f.store.pool.query<{ user_id: string }>(
            `SELECT user_id FROM "${f.schema}".onboardings WHERE lease_owner = $1 AND lease_expires_at >= $2`,
            [owner, Date.now()],
          )
        ).rows.map((r) => r.user_id);
      await waitUntil(async () => (await leasedBy(victim!.owner)).length > 0, anyExited(workers), 'a lease');
      victim!.kill();
      const { signal } = await victim!.exited;
      const orphans = await leasedBy(victim!.owner);
      const requestsAtKill = f.sandbox.stats().total;
      expect(signal).toBe('SIGKILL');
      expect(orphans.length, 'the victim died holding leases').toBeGreaterThan(0);

      const summary = await finished(survivor!);
      await expectAllTerminal(f, USERS);
      const repeats = expectWrites(f, 'kill', USERS, false);
      console.info(
        `kill: SIGKILL after ${requestsAtKill} requests with ${orphans.length} leases held; ` +
          `${repeats} identical writes repeated; survivor: ${describeRun([summary])}`,
      );
    }, 60_000);

    it('PostgreSQL connections killed three times mid-run: the workers reconnect and finish, nothing lost', async () => {
      const USERS = 600;
      fixture = await startFixture({ latencyMs: 5, verifyAfterPolls: 1 });
      await fixture.submit(records('conn', USERS));
      const workers = ['1', '2'].map((id) => fixture!.startWorker(id));
      const f = fixture;
      await Promise.all(workers.map((w) => w.running));
      const killed: number[] = [];
      for (const requests of [USERS * 0.5, USERS * 1.5, USERS * 2.5]) {
        await waitUntil(
          () => f.sandbox.stats().total >= requests,
          anyExited(workers),
          `${requests} requests`,
        );
        killed.push(await f.terminateWorkerBackends());
      }
      expect(anyExited(workers)(), 'every kill landed while both workers ran').toBe(false);
      for (const n of killed) expect(n, 'backends terminated').toBeGreaterThan(0);

      const summaries = await Promise.all(workers.map(finished));
      await expectAllTerminal(f, USERS);
      const repeats = expectWrites(f, 'conn', USERS, false);
      const warnings = summaries.map((s) => `${s.worker} ${JSON.stringify(s.warnings)}`).join('; ');
      console.info(
        `connections: ${killed.join(', ')} backends terminated; ${repeats} identical writes repeated; ` +
          `${describeRun(summaries)}; warnings: ${warnings}`,
      );
    }, 60_000);

    // Engine bug, open: drive() sets its in-memory lease to now + leaseMs after each commit, but the
    // commit statement leaves lease_expires_at as it was, and renewLeases() goes by the in-memory
    // time. A commit made late in a lease so postpones the renewal past the database expiry: the row
    // is claimable while its next call is in flight, by another worker or by this worker's own claim
    // loop, and the call is sent twice (here the upsert; in the budget test, writes waiting for
    // tokens). Remove `.fails` once a commit extends the lease or renewal goes by the stored expiry.
    it('the lease of an onboarding stays live in the database while its worker drives it through slow calls', async () => {
      fixture = await startFixture({ verifyAfterPolls: 1 });
      const f = fixture;
      await f.submit([userRecord('slow-0')]);
      const crossmint = createCrossmintClient({ baseUrl: f.baseUrl }, { apiKey: API_KEY });
      const owner = 'slow-worker';
      const handoff = createHandoff({
        crossmint: slowWrites(crossmint, 600),
        store: f.store,
        owner,
        leaseMs: 1_500,
        concurrency: 4,
        idleSweepMs: 50,
        budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
      });
      let done = false;
      const run = handoff.run().finally(() => {
        done = true;
      });
      // From its claim until the trigger is committed the worker never lets go of the row (no
      // faults here), so in these states an expired lease of this owner is a lapse.
      const lapses = new Set<string>();
      while (!done) {
        const now = Date.now();
        const { rows } = await f.store.pool.query<{ state: string; version: string; until: number }>(
          `SELECT state, version, lease_expires_at::float8 AS until FROM "${f.schema}".onboardings
           WHERE user_id = 'slow-0' AND lease_owner = $1 AND state IN ('policyPending', 'userCreated')`,
          [owner],
        );
        const row = rows[0];
        if (row !== undefined && row.until < now) lapses.add(`${row.state}, version ${row.version}`);
        await pause(10);
      }
      await run;
      await crossmint.close();
      expect(await f.store.countsByState()).toEqual({ verified: 1 });
      expect({ lapses: [...lapses], writes: f.sandbox.user(API_KEY, locator('slow-0'))?.writes }).toEqual({
        lapses: [],
        writes: { legalDocuments: 1, upsert: 1, trigger: 1, documents: 0 },
      });
    }, 30_000);

    // Engine issue, open: a worker run `until: 'idle'` with nothing of its own to do sleeps until
    // nextWakeAt(), which for a row another worker holds is that lease's expiry. The commit that
    // makes the row terminal sends no NOTIFY (it has no wake_at), so nothing wakes the sleeper: it
    // returns up to leaseMs (60 s by default) after the work is done. Remove `.fails` once it
    // returns within about idleSweepMs (e.g. a NOTIFY when a commit releases a lease, or waits on a
    // foreign lease capped at idleSweepMs).
    it('a worker run until idle returns soon after another worker finishes the last onboarding', async () => {
      fixture = await startFixture({ verifyAfterPolls: 2 });
      const f = fixture;
      await f.submit([userRecord('tail-0')]);
      const crossmint = createCrossmintClient({ baseUrl: f.baseUrl }, { apiKey: API_KEY });
      let doneAt = 0;
      const worker = (owner: string) => {
        const handoff = createHandoff({
          crossmint: slowCalls(crossmint, 300),
          store: f.store,
          owner,
          leaseMs: 3_000,
          idleSweepMs: 50,
          budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
        });
        handoff.subscribe((notice) => {
          if (notice.outcome !== null) doneAt = Date.now();
        });
        return handoff.run().then(() => Date.now());
      };
      const returned = await Promise.all([worker('tail-a'), worker('tail-b')]);
      await crossmint.close();
      expect(await f.store.countsByState()).toEqual({ verified: 1 });
      expect(returned.map((at) => at - doneAt).filter((late) => late > 1_000)).toEqual([]);
    }, 30_000);
  });

const later = <T, E>(ms: number, call: () => ResultAsync<T, E>) => new ResultAsync(pause(ms).then(call));

/** Every Crossmint write answers `ms` later: a slow API (or a long wait in a busy one). */
function slowWrites(inner: CrossmintPort, ms: number): CrossmintPort {
  return {
    ...inner,
    recordLegalDocument: (id, body, options) => later(ms, () => inner.recordLegalDocument(id, body, options)),
    upsertUser: (id, body, options) => later(ms, () => inner.upsertUser(id, body, options)),
    triggerVerification: (id, options) => later(ms, () => inner.triggerVerification(id, options)),
    uploadDocument: (body, options) => later(ms, () => inner.uploadDocument(body, options)),
  };
}

/** Reads slow too. */
function slowCalls(inner: CrossmintPort, ms: number): CrossmintPort {
  return {
    ...slowWrites(inner, ms),
    getUser: (id, options) => later(ms, () => inner.getUser(id, options)),
    getVerification: (id, options) => later(ms, () => inner.getVerification(id, options)),
    getDocument: (id, options) => later(ms, () => inner.getDocument(id, options)),
  };
}
