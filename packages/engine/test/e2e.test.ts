import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/index.js';
import { followHandoffs } from '../src/testing.js';
import { API_KEY, type Harness, locator, startHarness, userRecord } from './__test-utils__/harness.js';

const PASSPORT = 'data:image/png;base64,iVBORw0KGgo=';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function journalStates(h: Harness, userId: string) {
  const status = await h.handoff.status(userId);
  return status?.journal.map((j) => j.to);
}

describe('engine end to end (engine + crossmint-http + sandbox over loopback + SQLite)', () => {
  it('the seed flow: policy, user, trigger, pending-review, poll, verified — one write per endpoint', async () => {
    harness = await startHarness({ verifyAfterPolls: 1 }, { policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    const [result] = await harness.handoff.submit(userRecord('alice'));
    expect(result?.status).toBe('created');
    await harness.handoff.run();

    expect(await journalStates(harness, 'alice')).toEqual([
      'userCreated.submittingKyc',
      'userCreated.triggering',
      'verificationPending.waiting',
      'verificationPending.checking',
      'verified',
    ]);
    const status = await harness.handoff.status('alice');
    expect(status?.outcome).toBe('verified');
    const user = harness.sandbox.user(API_KEY, locator('alice'));
    expect(user?.writes).toMatchObject({ legalDocuments: 1, upsert: 1, trigger: 1 });
    expect(user?.bodyHashes.upsert).toHaveLength(1);
  });

  it('a user the sandbox rejects ends rejected', async () => {
    harness = await startHarness({}, { policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    await harness.handoff.submit(userRecord('bob', 'Rejected'));
    await harness.handoff.run();
    expect((await harness.handoff.status('bob'))?.state).toBe('rejected');
  });

  it('requires-data: waits for data, then uploads the supplied document, triggers again and verifies', async () => {
    harness = await startHarness({}, { policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    await harness.handoff.submit(userRecord('carol', 'Incomplete'));
    await harness.handoff.run();
    const waiting = await harness.handoff.status('carol');
    expect(waiting?.state).toBe('requiresData');
    expect(waiting?.requested).toEqual({ missingData: [], missingDocuments: ['id'] });

    const supplied = await harness.handoff.supplyData('carol', {
      documents: [{ documentType: 'id-passport', data: PASSPORT }],
    });
    expect(supplied).toEqual({ ok: true, state: 'userCreated.submittingKyc' });
    await harness.handoff.run();

    expect((await harness.handoff.status('carol'))?.state).toBe('verified');
    const user = harness.sandbox.user(API_KEY, locator('carol'));
    expect(user?.documentTypes).toEqual(['id-passport']);
    expect(user?.writes).toMatchObject({ legalDocuments: 1, upsert: 2, documents: 1, trigger: 2 });
    // The resubmitted upsert carries the same record: still one distinct body.
    expect(user?.bodyHashes.upsert).toHaveLength(1);
  });

  it('supplied data that does not validate is refused naming the field, never the value', async () => {
    harness = await startHarness({}, { policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    await harness.handoff.submit(userRecord('carla', 'Incomplete'));
    await harness.handoff.run();
    const refused = await harness.handoff.supplyData('carla', {
      kycData: { email: 'not-an-email-987-65-4320' },
      documents: [{ documentType: 'id-passport', data: 42 }],
    });
    expect(refused.ok).toBe(false);
    const reason = refused.ok ? '' : refused.reason;
    expect(reason).toContain('kycData.email');
    expect(reason).toContain('documents.0.data must be string');
    expect(reason).not.toContain('987-65-4320');
    expect((await harness.handoff.status('carla'))?.state).toBe('requiresData');
  });

  it('a pending review is polled with a growing interval until an operator releases it', async () => {
    const clock = new VirtualClock();
    harness = await startHarness({ clock }, { clock });
    followHandoffs(clock, harness.handoff);
    await harness.handoff.submit(userRecord('dave', 'Pending'));
    const run = harness.handoff.run({ until: 'stopped' });
    const polls = () => harness!.sandbox.user(API_KEY, locator('dave'))?.verification?.polls ?? 0;
    while (polls() < 4) await new Promise((r) => setTimeout(r, 5));
    harness.sandbox.forceStatus(API_KEY, locator('dave'), 'verified');
    while ((await harness.handoff.status('dave'))?.state !== 'verified')
      await new Promise((r) => setTimeout(r, 5));
    await harness.handoff.stop();
    await run;
    const checks = (await harness.handoff.status('dave'))!.journal.filter(
      (j) => j.to === 'verificationPending.waiting',
    );
    const gaps = checks.slice(1).map((j, i) => j.at - checks[i]!.at);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    // Each wait is at least as long as half the previous one doubled (equal jitter): it grows.
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
  });

  it('a project not enabled fails for an operator and ends the run as fatal; once enabled, retry verifies', async () => {
    harness = await startHarness({ kycDisabled: true }, { policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    await harness.handoff.submit(userRecord('erin'));
    await expect(harness.handoff.run()).rejects.toMatchObject({
      name: 'HandoffFatalError',
      kind: 'not-enabled',
    });
    const failed = await harness.handoff.status('erin');
    expect(failed?.state).toBe('failed');
    expect(failed?.failure?.reason).toBe('not-enabled');

    harness.sandbox.configure({ kycDisabled: false });
    expect(await harness.handoff.retry('erin')).toEqual({ ok: true, state: 'policyPending.recordingPolicy' });
    await harness.handoff.run();
    expect((await harness.handoff.status('erin'))?.state).toBe('verified');
  });

  it('server errors are retried with backoff, and every attempt is visible in the journal', async () => {
    const clock = new VirtualClock();
    harness = await startHarness(
      { clock, faultRate: 1, faults: ['503'] },
      { clock, policy: { pollInitialMs: 1, pollMaxMs: 1 } },
    );
    followHandoffs(clock, harness.handoff);
    await harness.handoff.submit(userRecord('frank'));
    const run = harness.handoff.run();
    while (((await harness.handoff.status('frank'))?.attempts ?? 0) < 2)
      await new Promise((r) => setTimeout(r, 5));
    harness.sandbox.configure({ faultRate: 0 });
    await run;
    const status = await harness.handoff.status('frank');
    expect(status?.state).toBe('verified');
    expect(status?.journal.filter((j) => j.event === 'STEP_FAILED').map((j) => j.detail)).toContain(
      'transient',
    );
  });

  it('a 429 is honoured: the next attempt waits for Retry-After', async () => {
    const clock = new VirtualClock();
    harness = await startHarness({ clock }, { clock, policy: { pollInitialMs: 1, pollMaxMs: 1 } });
    followHandoffs(clock, harness.handoff);
    harness.sandbox.configure({ faultRate: 1, faults: ['429'] });
    await harness.handoff.submit(userRecord('gina'));
    const run = harness.handoff.run();
    while (((await harness.handoff.status('gina'))?.attempts ?? 0) < 1)
      await new Promise((r) => setTimeout(r, 5));
    harness.sandbox.configure({ faultRate: 0 });
    await run;
    const journal = (await harness.handoff.status('gina'))!.journal;
    const throttled = journal.find((j) => j.event === 'STEP_FAILED');
    expect(throttled?.detail).toMatch(/^rate-limited \(retry after \d+ s\)$/);
    const next = journal[journal.indexOf(throttled!) + 1]!;
    const retryAfterS = Number(/retry after (\d+)/.exec(throttled!.detail!)![1]);
    expect(next.at - throttled!.at).toBeGreaterThanOrEqual(retryAfterS * 1000 - 1);
  });

  it('a lost response (write applied, answer lost) is repeated with a byte-identical body', async () => {
    harness = await startHarness({}, { policy: { pollInitialMs: 1, pollMaxMs: 1, baseDelayMs: 1 } });
    harness.sandbox.configure({ faultRate: 1, faults: ['lost-response'] });
    await harness.handoff.submit(userRecord('hank'));
    const run = harness.handoff.run();
    while ((harness.sandbox.user(API_KEY, locator('hank'))?.writes.legalDocuments ?? 0) < 2) {
      await new Promise((r) => setTimeout(r, 5));
    }
    harness.sandbox.configure({ faultRate: 0 });
    await run;
    const user = harness.sandbox.user(API_KEY, locator('hank'));
    expect((await harness.handoff.status('hank'))?.state).toBe('verified');
    expect(user?.writes.legalDocuments).toBeGreaterThanOrEqual(2);
    expect(user?.bodyHashes.legalDocuments).toHaveLength(1);
  });

  it('a review pending past the deadline fails with the reason, for an operator', async () => {
    const clock = new VirtualClock();
    harness = await startHarness({ clock }, { clock, policy: { verificationDeadlineMs: 60 * 60_000 } });
    followHandoffs(clock, harness.handoff);
    await harness.handoff.submit(userRecord('ivy', 'Pending'));
    await harness.handoff.run();
    const status = await harness.handoff.status('ivy');
    expect(status?.state).toBe('failed');
    expect(status?.failure?.reason).toBe('verification-deadline');
  });

  it('records missing what their region requires are refused before anything is sent', async () => {
    harness = await startHarness();
    const [result] = await harness.handoff.submit(
      userRecord('jack', 'Smith', {
        userDetails: {
          firstName: 'Jack',
          lastName: 'Smith',
          dateOfBirth: '1990-01-01',
          countryOfResidence: 'GB',
        },
      }),
    );
    expect(result).toEqual({
      userId: 'jack',
      status: 'incomplete',
      missingData: ['due-diligence'],
      missingDocuments: ['id', 'selfie'],
    });
    expect(harness.sandbox.stats().total).toBe(0);
  });

  it('a second submit of the same record is a no-op; a different one is refused unless updating', async () => {
    harness = await startHarness();
    expect((await harness.handoff.submit(userRecord('kim')))[0]?.status).toBe('created');
    expect((await harness.handoff.submit(userRecord('kim')))[0]?.status).toBe('unchanged');
    const changed = userRecord('kim', 'Changed');
    expect((await harness.handoff.submit(changed))[0]?.status).toBe('conflict');
    expect((await harness.handoff.submit(changed, { update: true }))[0]?.status).toBe('updated');
  });
});
