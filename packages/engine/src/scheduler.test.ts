// The scheduler with the in-memory store, a fake Crossmint and a virtual clock: the regimes the
// benches never modelled, a backlog of users under review and budgets that bind.

import type { CrossmintError } from '@kyc-handoff/core';
import { createMemoryStore, sampleRecord } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { type CallName, fakePort } from './__test-utils__/fake-port.js';
import { VirtualClock } from './clock.js';
import { HandoffFatalError } from './fatal.js';
import { createHandoff, type Handoff } from './handoff.js';
import type { HandoffOptions } from './options.js';
import { followHandoffs } from './testing.js';

const MINUTE = 60_000;
const WRITE_CALLS = new Set<CallName>([
  'recordLegalDocument',
  'upsertUser',
  'triggerVerification',
  'uploadDocument',
]);
const users = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => sampleRecord({ userId: `${prefix}-${i}` }));

interface World {
  clock: VirtualClock;
  handoff: Handoff;
  calls: ReturnType<typeof fakePort>['calls'];
}

function world(
  options: Partial<HandoffOptions> & { reviewMs?: number; fail?: Parameters<typeof fakePort>[0]['fail'] },
): World {
  const clock = new VirtualClock();
  const { port, calls } = fakePort({
    clock,
    reviewMs: options.reviewMs ?? 0,
    ...(options.fail && { fail: options.fail }),
  });
  const handoff = createHandoff({
    crossmint: port,
    store: createMemoryStore(),
    clock,
    idleSweepMs: 1_000,
    ...options,
  });
  followHandoffs(clock, handoff);
  return { clock, handoff, calls };
}

/** Runs until `ms` of virtual time have passed, then stops. */
async function runFor(w: World, ms: number): Promise<void> {
  const end = w.clock.now() + ms;
  const running = w.handoff.run({ until: 'stopped' });
  await w.clock.sleep(ms);
  expect(w.clock.now()).toBeGreaterThanOrEqual(end);
  await w.handoff.stop({ graceMs: 1_000 });
  await running;
}

const writesBetween = (w: World, from: number, to: number) =>
  w.calls.filter((c) => WRITE_CALLS.has(c.call) && c.at >= from && c.at < to).length;
const readsBetween = (w: World, from: number, to: number) =>
  w.calls.filter((c) => c.call === 'getVerification' && c.at >= from && c.at < to).length;

describe('scheduler: a review backlog never starves new users', () => {
  it('with more users under review than the read budget can poll, writes keep their whole budget', async () => {
    // The regime of the issue: 600 writes and 120 reads a minute, reviews that take hours.
    const w = world({ reviewMs: 10 * 60 * MINUTE, budgets: { writesPerMinute: 600, readsPerMinute: 120 } });
    await w.handoff.submit(users('u', 1_500));
    const start = w.clock.now();
    await runFor(w, 3 * MINUTE);
    // After the first minute hundreds are under review and due for polls all the time.
    const writes = writesBetween(w, start + MINUTE, start + 3 * MINUTE);
    const reads = readsBetween(w, start + MINUTE, start + 3 * MINUTE);
    expect(writes / (2 * 600)).toBeGreaterThanOrEqual(0.9);
    expect(reads).toBeLessThanOrEqual(2 * 120);
    expect(reads / (2 * 120)).toBeGreaterThanOrEqual(0.9);
    expect((await w.handoff.stats()).underReview).toBeGreaterThan(300);
  });

  it('a read budget stalled by 429s leaves writes at their full pace', async () => {
    const throttled: CrossmintError = {
      kind: 'rate-limited',
      retryAfterMs: 10 * MINUTE,
      message: 'slow down',
    };
    const w = world({
      reviewMs: 60 * MINUTE,
      budgets: { writesPerMinute: 300, readsPerMinute: 300 },
      fail: (call) => (call === 'getVerification' ? throttled : undefined),
    });
    await w.handoff.submit(users('r', 600));
    const start = w.clock.now();
    await runFor(w, 3 * MINUTE);
    expect(writesBetween(w, start + MINUTE, start + 3 * MINUTE) / (2 * 300)).toBeGreaterThanOrEqual(0.9);
    // The first 429 paused reads for its Retry-After: no read in the rest of the window.
    const first429 = w.calls.find((c) => c.call === 'getVerification')!.at;
    expect(readsBetween(w, first429 + 1_000, start + 3 * MINUTE)).toBe(0);
  });

  it('a write budget stalled by 429s leaves polls of users under review at their pace', async () => {
    const throttled: CrossmintError = {
      kind: 'rate-limited',
      retryAfterMs: 10 * MINUTE,
      message: 'slow down',
    };
    let stalled = false;
    const w = world({
      reviewMs: 60 * MINUTE,
      budgets: { writesPerMinute: 600, readsPerMinute: 60 },
      fail: (call) => (stalled && WRITE_CALLS.has(call) ? throttled : undefined),
    });
    await w.handoff.submit(users('w', 150));
    await runFor(w, MINUTE);
    expect((await w.handoff.stats()).underReview).toBe(150);
    await w.handoff.submit(users('late', 100));
    stalled = true;
    const start = w.clock.now();
    await runFor(w, 3 * MINUTE);
    expect(readsBetween(w, start + MINUTE, start + 3 * MINUTE) / (2 * 60)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('scheduler: order within the lanes', () => {
  it('the write lane finishes users before it starts new ones', async () => {
    const w = world({ reviewMs: 0, budgets: { writesPerMinute: 60, readsPerMinute: 'unlimited' } });
    await w.handoff.submit(users('o', 30));
    let worst = 0;
    w.handoff.subscribe(() => {
      const started = new Set(w.calls.filter((c) => c.call === 'recordLegalDocument').map((c) => c.userId));
      const triggered = new Set(w.calls.filter((c) => c.call === 'triggerVerification').map((c) => c.userId));
      worst = Math.max(worst, [...started].filter((u) => !triggered.has(u)).length);
    });
    await w.handoff.run();
    expect((await w.handoff.stats()).states).toEqual({ verified: 30 });
    // A new user is started only when no started one can go on: a burst of 1 token means one.
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('new users are started in the order they were submitted', async () => {
    const w = world({ reviewMs: 0, budgets: { writesPerMinute: 60, readsPerMinute: 'unlimited' } });
    const ids = ['m', 'c', 'x', 'a', 'q'];
    await w.handoff.submit(ids.map((userId) => sampleRecord({ userId })));
    await w.handoff.run();
    const order = w.calls.filter((c) => c.call === 'recordLegalDocument').map((c) => c.userId);
    expect(order).toEqual(ids);
  });

  it('when polls outnumber the read budget, each user is polled in turn, never sooner than its own backoff', async () => {
    const w = world({
      reviewMs: 24 * 60 * MINUTE,
      budgets: { writesPerMinute: 'unlimited', readsPerMinute: 60 },
      policy: { pollInitialMs: 5_000, pollMaxMs: 5 * MINUTE },
    });
    await w.handoff.submit(users('p', 300));
    await runFor(w, 40 * MINUTE);
    const polls = new Map<string, number[]>();
    for (const c of w.calls.filter((call) => call.call === 'getVerification')) {
      polls.set(c.userId, [...(polls.get(c.userId) ?? []), c.at]);
    }
    const counts = [...polls.values()].map((p) => p.length);
    expect(polls.size).toBe(300);
    // 40 minutes × 60 reads = 2,400 polls shared by 300 users: 8 each, give or take one.
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);
    const stats = await w.handoff.stats();
    expect(stats.pollIntervalMs).toBeGreaterThan(4.5 * MINUTE);
    // Never two polls of one user closer than its first backoff (5 s, with jitter down to half).
    for (const times of polls.values()) {
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(2_500);
    }
    expect((await w.handoff.status('p-7'))?.pollIntervalMs).toBe(stats.pollIntervalMs);
  });
});

describe('scheduler: fatal answers', () => {
  it('a refused key ends run() with a HandoffFatalError after the first few answers, and notices carry the kind', async () => {
    const refused: CrossmintError = { kind: 'unauthorized', status: 401, message: 'bad key' };
    const w = world({ concurrency: 4, fail: () => refused });
    const kinds: string[] = [];
    w.handoff.subscribe((n) => {
      if (n.errorKind !== undefined) kinds.push(n.errorKind);
    });
    await w.handoff.submit(users('f', 200));
    const error = await w.handoff.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HandoffFatalError);
    expect(error).toMatchObject({ kind: 'unauthorized' });
    // Three answers, plus what was already in flight: not 200.
    expect(w.calls.length).toBeLessThanOrEqual(3 + 4);
    expect(kinds.length).toBeGreaterThanOrEqual(3);
    expect(new Set(kinds)).toEqual(new Set(['unauthorized']));
  });

  it('a run of one user whose only answer refuses the project still ends fatal', async () => {
    const w = world({
      fail: () => ({
        kind: 'not-enabled',
        message: 'project not configured to support the users KYC endpoints',
      }),
    });
    await w.handoff.submit(users('single', 1));
    await expect(w.handoff.run()).rejects.toMatchObject({ name: 'HandoffFatalError', kind: 'not-enabled' });
    expect(w.calls).toHaveLength(1);
  });

  it('one refusal among successes is not fatal', async () => {
    let refusals = 0;
    const w = world({
      fail: (call) =>
        call === 'recordLegalDocument' && refusals++ === 0
          ? { kind: 'not-enabled', message: 'project not configured to support the users KYC endpoints' }
          : undefined,
    });
    await w.handoff.submit(users('n', 20));
    await w.handoff.run();
    expect((await w.handoff.stats()).states).toEqual({ verified: 19, failed: 1 });
  });
});

describe('scheduler: work from elsewhere', () => {
  it('a worker on a store without notifications picks up what another handoff submits within a sweep', async () => {
    const clock = new VirtualClock();
    const store = createMemoryStore();
    const { port, calls } = fakePort({ clock });
    const worker = createHandoff({ crossmint: port, store, clock, idleSweepMs: 5_000 });
    const submitter = createHandoff({ crossmint: port, store, clock });
    followHandoffs(clock, worker);
    const running = worker.run({ until: 'stopped' });
    await clock.sleep(60_000);
    const submittedAt = clock.now();
    await submitter.submit(users('elsewhere', 3));
    await clock.sleep(10_000);
    await worker.stop();
    await running;
    expect((await worker.stats()).states).toEqual({ verified: 3 });
    expect(calls[0]!.at - submittedAt).toBeLessThanOrEqual(5_000);
  });
});

describe('scheduler: a run ends when the work does', () => {
  it("a run waiting on another handoff's lease ends within a sweep of that handoff finishing, not a lease later", async () => {
    const clock = new VirtualClock();
    const store = createMemoryStore();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = fakePort({ clock });
    const holding = {
      ...slow.port,
      recordLegalDocument: (...args: Parameters<typeof slow.port.recordLegalDocument>) =>
        slow.port.recordLegalDocument(...args).map(async (value) => {
          await held;
          return value;
        }),
    };
    const a = createHandoff({
      crossmint: holding,
      store,
      clock,
      owner: 'a',
      leaseMs: 60_000,
      idleSweepMs: 5_000,
    });
    const b = createHandoff({
      crossmint: fakePort({ clock }).port,
      store,
      clock,
      owner: 'b',
      leaseMs: 60_000,
      idleSweepMs: 5_000,
    });
    // A's call is held on purpose: time moves whenever B has nothing to do.
    followHandoffs(clock, b);
    await a.submit(users('l', 1));
    const runA = a.run();
    while (a.activity().callsInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    let bEndedAt: number | undefined;
    const runB = b.run().then(() => {
      bEndedAt = clock.now();
    });
    // B sees only A's lease for a while; then A finishes.
    await clock.sleep(20_000);
    release();
    await runA;
    const aDoneAt = clock.now();
    await runB;
    expect((await a.stats()).states).toEqual({ verified: 1 });
    expect(bEndedAt! - aDoneAt).toBeLessThanOrEqual(5_000);
  });
});
