// A backlog of users under review, the regime the first benches never modelled (issue 14): reviews
// that take hours, so the users under review pile up and their polls alone could spend the whole read
// budget. Engine, HTTP client and in-process sandbox share one VirtualClock, so two hours of a
// migration run in seconds and every figure is exact.
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createSandbox, type Sandbox } from '@kyc-handoff/sandbox';
import { openPostgresStore } from '@kyc-handoff/store-postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoff, type Handoff, type TransitionNotice, VirtualClock } from '../src/index.js';
import { followHandoffs } from '../src/testing.js';
import { API_KEY, type Harness, startHarness, userRecord } from './__test-utils__/harness.js';
import { freshSchemaName, PG_URL, postgresAvailable } from './__test-utils__/pg-workers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/**
 * The 10,000 users at 120 writes and 360 reads a minute, scaled down by this factor with the
 * same ratio of users to budget (2,500 users at 30 and 90), to keep CI short; BACKLOG_SCALE=1 runs
 * the full size.
 */
const SCALE = Number(process.env.BACKLOG_SCALE ?? 0.25);
const USERS = Math.round(10_000 * SCALE);
const WRITES_PER_MIN = Math.round(120 * SCALE);
const READS_PER_MIN = Math.round(360 * SCALE);
/** The machine's longest wait between two polls of one user (DEFAULT_POLICY.pollMaxMs). */
const POLL_MAX_MS = 5 * MINUTE;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Calls the sandbox answered by kind: writes and reads it served, and 429s. */
function calls(sandbox: Sandbox) {
  let writes = 0;
  let reads = 0;
  let rateLimited = 0;
  for (const [label, route] of Object.entries(sandbox.stats().byRoute)) {
    const served = Object.entries(route.byStatus)
      .filter(([status]) => status !== '429')
      .reduce((sum, [, n]) => sum + n, 0);
    rateLimited += route.byStatus['429'] ?? 0;
    if (label.startsWith('GET ')) reads += served;
    else writes += served;
  }
  return { writes, reads, rateLimited };
}

/**
 * What a run did to each user under review: when it went under review and when it was polled, and
 * how many were under review over time, from the handoff's own transition notices.
 */
function watchReviews(handoff: Handoff, sandbox: Sandbox) {
  const since = new Map<string, number>();
  const polls = new Map<string, number[]>();
  /** [at, users under review from then on], in time order. */
  const underReview: [number, number][] = [];
  let readsBindAt: number | null = null;
  let readsBeforeBind = 0;
  handoff.subscribe((n: TransitionNotice) => {
    if (n.to.startsWith('verificationPending') && !since.has(n.userId)) {
      since.set(n.userId, n.at);
      underReview.push([n.at, since.size]);
      // Reads bind once the users under review, each polled every POLL_MAX_MS at the least, need
      // more reads than the budget gives.
      if (readsBindAt === null && since.size > (READS_PER_MIN * POLL_MAX_MS) / MINUTE) {
        readsBindAt = n.at;
        readsBeforeBind = calls(sandbox).reads;
      }
    }
    if (n.from === 'verificationPending.checking' && n.event === 'VERIFICATION_STATUS') {
      const list = polls.get(n.userId) ?? [];
      list.push(n.at);
      polls.set(n.userId, list);
    }
  });
  const countAt = (at: number) => {
    let count = 0;
    for (const [t, n] of underReview) if (t <= at) count = n;
    return count;
  };
  return {
    since,
    readsBindAt: () => readsBindAt,
    readsBeforeBind: () => readsBeforeBind,
    /**
     * The longest wait of any user under review between going under review, its polls and `end`,
     * as a share of the bound: max(5 min, under review ÷ reads a minute) × 1.5 at the end
     * of that wait (the count only grows here: every review outlasts the run).
     */
    worstWait(end: number) {
      let worst = { share: 0, userId: '', waitMs: 0 };
      for (const [userId, start] of since) {
        const times = [start, ...(polls.get(userId) ?? []), end];
        for (let i = 1; i < times.length; i++) {
          const waitMs = times[i]! - times[i - 1]!;
          const bound = Math.max(POLL_MAX_MS, (countAt(times[i]!) / READS_PER_MIN) * MINUTE) * 1.5;
          if (waitMs / bound > worst.share) worst = { share: waitMs / bound, userId, waitMs };
        }
      }
      return worst;
    },
  };
}

async function backlogRun(sandboxOptions: { verifyAfterMs?: number; verifyAfterPolls?: number }) {
  const clock = new VirtualClock();
  harness = await startHarness(
    { clock, writesPerMin: WRITES_PER_MIN, readsPerMin: READS_PER_MIN, ...sandboxOptions },
    { clock, budgets: { writesPerMinute: WRITES_PER_MIN, readsPerMinute: READS_PER_MIN } },
  );
  const { handoff, sandbox } = harness;
  followHandoffs(clock, handoff);
  const reviews = watchReviews(handoff, sandbox);
  await handoff.submit(Array.from({ length: USERS }, (_, i) => userRecord(`backlog-${i}`)));
  return { clock, handoff, sandbox, reviews, start: clock.now() };
}

/** Runs until `ms` of virtual time have passed since `start`, then stops the handoff. */
async function runFor(run: Awaited<ReturnType<typeof backlogRun>>, ms: number) {
  const stopping = run.clock.sleep(run.start + ms - run.clock.now()).then(() => run.handoff.stop());
  await run.handoff.run();
  await stopping;
}

describe(`a review backlog (${USERS} users, ${WRITES_PER_MIN} writes and ${READS_PER_MIN} reads a minute)`, () => {
  it('reviews of four hours: writes spend their whole budget, no 429, every user under review polled in turn, reads used once they bind', async () => {
    const run = await backlogRun({ verifyAfterMs: 4 * HOUR });
    await runFor(run, 2 * HOUR);
    const end = run.clock.now();
    const { writes, reads, rateLimited } = calls(run.sandbox);
    const readsBindAt = run.reviews.readsBindAt();
    const worst = run.reviews.worstWait(end);
    const writeShare = writes / (WRITES_PER_MIN * 120);
    // Reads served from the moment they bind, against the budget of that stretch.
    const readShare =
      readsBindAt === null
        ? 0
        : (reads - run.reviews.readsBeforeBind()) / ((READS_PER_MIN * (end - readsBindAt)) / MINUTE);
    console.info(
      `backlog, 4 h reviews: ${writes} writes = ${(writeShare * 100).toFixed(1)}% of the write budget, ` +
        `${reads} reads, reads bind at ${(((readsBindAt ?? end) - run.start) / MINUTE).toFixed(1)} min, ` +
        `${run.reviews.since.size} under review, worst wait ${(worst.waitMs / 1000).toFixed(0)} s ` +
        `(${(worst.share * 100).toFixed(0)}% of its bound), ${rateLimited} x 429`,
    );
    expect(rateLimited).toBe(0);
    expect(writeShare).toBeGreaterThanOrEqual(0.95);
    expect(readsBindAt).not.toBeNull();
    expect(worst.share, `user ${worst.userId} waited ${worst.waitMs} ms for a poll`).toBeLessThanOrEqual(1);
    expect(readShare).toBeGreaterThanOrEqual(0.9);
  }, 300_000);

  it('reviews that end on the first poll (the regime of the first benches): writes still spend their whole budget', async () => {
    const run = await backlogRun({ verifyAfterPolls: 1 });
    await runFor(run, HOUR);
    const { writes, rateLimited } = calls(run.sandbox);
    const writeShare = writes / (WRITES_PER_MIN * 60);
    console.info(
      `backlog, first-poll reviews: ${writes} writes = ${(writeShare * 100).toFixed(1)}% of the write budget`,
    );
    expect(rateLimited).toBe(0);
    expect(writeShare).toBeGreaterThanOrEqual(0.95);
  }, 300_000);

  it('reads answering 429 for ten minutes leave writes at their full pace meanwhile', async () => {
    const run = await backlogRun({ verifyAfterMs: 4 * HOUR });
    // From minute 20 to minute 30 the project's read limit is all but gone: reads get real 429s.
    const outage = { from: 20 * MINUTE, to: 30 * MINUTE };
    let writesBefore = 0;
    let writesAfter = 0;
    let throttled = 0;
    const outageDone = (async () => {
      await run.clock.sleep(outage.from);
      writesBefore = calls(run.sandbox).writes;
      run.sandbox.configure({ readsPerMin: 1 });
      await run.clock.sleep(outage.to - outage.from);
      ({ writes: writesAfter, rateLimited: throttled } = calls(run.sandbox));
      run.sandbox.configure({ readsPerMin: READS_PER_MIN });
    })();
    await runFor(run, 35 * MINUTE);
    await outageDone;
    const share = (writesAfter - writesBefore) / (WRITES_PER_MIN * 10);
    console.info(
      `backlog, reads refused for 10 min: ${throttled} x 429, ${writesAfter - writesBefore} writes meanwhile = ${(share * 100).toFixed(1)}% of the write budget`,
    );
    expect(throttled).toBeGreaterThan(0);
    expect(share).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});

describe.skipIf(!postgresAvailable)('a review backlog on two PostgreSQL workers', () => {
  it('two workers sharing the budget spend the whole write budget together, no 429', async () => {
    const clock = new VirtualClock();
    const sandbox = createSandbox({
      clock,
      writesPerMin: WRITES_PER_MIN,
      readsPerMin: READS_PER_MIN,
      verifyAfterMs: 4 * HOUR,
      seed: 3,
    });
    const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
    const schema = freshSchemaName('kh_backlog');
    const keyring = parseKeyring(generateKey());
    const workers: { handoff: Handoff; close(): Promise<void> }[] = [];
    try {
      for (const name of (process.env.BACKLOG_PG_WORKERS ?? 'a,b').split(',')) {
        const store = await openPostgresStore({ connectionString: PG_URL, schema, keyring, poolSize: 4 });
        const crossmint = createCrossmintClient({ baseUrl: `${url}/api` }, { apiKey: API_KEY });
        const handoff = createHandoff({
          crossmint,
          store,
          clock,
          owner: `worker-${name}`,
          // Each configured with the project's whole budget: the store shares it between them.
          budgets: { writesPerMinute: WRITES_PER_MIN, readsPerMinute: READS_PER_MIN },
        });
        workers.push({
          handoff,
          async close() {
            await crossmint.close();
            await store.close();
          },
        });
      }
      followHandoffs(clock, ...workers.map((w) => w.handoff));
      const users = Math.round(USERS / 5);
      await workers[0]!.handoff.submit(
        Array.from({ length: users }, (_, i) => userRecord(`pg-backlog-${i}`)),
      );
      const start = clock.now();
      const minutes = 30;
      const stopping = clock
        .sleep(minutes * MINUTE)
        .then(() => Promise.all(workers.map((w) => w.handoff.stop())));
      await Promise.all(workers.map((w) => w.handoff.run()));
      await stopping;
      const { writes, rateLimited } = calls(sandbox);
      const share = writes / (WRITES_PER_MIN * ((clock.now() - start) / MINUTE));
      const granted = workers.map((w) => w.handoff.activity().writesGranted);
      console.info(
        `backlog, two PostgreSQL workers: ${writes} writes = ${(share * 100).toFixed(1)}% of the shared write budget (${granted.join(' + ')} granted), ${rateLimited} x 429`,
      );
      expect(rateLimited).toBe(0);
      expect(share).toBeGreaterThanOrEqual(0.95);
      expect(Math.min(...granted)).toBeGreaterThan(0);
    } finally {
      for (const w of workers) await w.close();
      await sandbox.close();
    }
  }, 300_000);
});
