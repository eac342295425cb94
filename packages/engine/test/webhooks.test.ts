// Telling the platform: outbox events delivered as Standard Webhooks, checked by a receiver that
// verifies every request with the standardwebhooks package itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CANARY, canaryRecord } from '@kyc-handoff/core/testing';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookSender } from '../src/index.js';
import { type Harness, startHarness, userRecord } from './__test-utils__/harness.js';
import { type Received, SECRET, startReceiver } from './__test-utils__/receiver.js';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = resolve(here, '../../../node_modules/.bin/tsx');
const FAST = { policy: { pollInitialMs: 1, pollMaxMs: 1 } };
const QUICK_RETRIES = { retryBaseMs: 20, retryMaxMs: 100, idleSweepMs: 20, timeoutMs: 2_000, leaseMs: 3_000 };

let harness: Harness | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await harness?.close();
  harness = undefined;
});

/** Every request of a user came only after each earlier seq of that user was delivered (2xx). */
function expectInOrderPerUser(received: readonly Received[]) {
  const delivered = new Map<string, Set<number>>();
  for (const r of received) {
    const done = delivered.get(r.userId) ?? new Set<number>();
    for (let earlier = 1; earlier < r.seq; earlier++) {
      expect(done.has(earlier), `${r.userId} seq ${r.seq} arrived before seq ${earlier} was delivered`).toBe(
        true,
      );
    }
    if (r.status >= 200 && r.status < 300) done.add(r.seq);
    delivered.set(r.userId, done);
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 15_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('webhooks from the outbox', () => {
  it('every outcome reaches the receiver signed, in order per user, submitted first; nothing stays pending', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    harness = await startHarness({}, FAST);
    const delivery = harness.handoff.deliver(
      webhookSender({ url: receiver.url, secret: SECRET }),
      QUICK_RETRIES,
    );
    cleanups.push(() => delivery.stop());
    await harness.handoff.submit([
      userRecord('w-ok'),
      userRecord('w-no', 'Rejected'),
      userRecord('w-data', 'Incomplete'),
    ]);
    await harness.handoff.run();
    expect(await delivery.drain({ timeoutMs: 10_000 })).toBe(true);

    const byUser = (userId: string) =>
      receiver.received.filter((r) => r.userId === userId).map((r) => r.type);
    expect(byUser('w-ok')).toEqual(['onboarding.submitted', 'onboarding.verified']);
    expect(byUser('w-no')).toEqual(['onboarding.submitted', 'onboarding.rejected']);
    expect(byUser('w-data')).toEqual(['onboarding.submitted', 'onboarding.requiresData']);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expectInOrderPerUser(receiver.received);
    const data = receiver.received.find((r) => r.type === 'onboarding.requiresData')!;
    expect(JSON.parse(data.body).data).toMatchObject({
      userId: 'w-data',
      state: 'requiresData',
      seq: 2,
      requested: { missingData: [], missingDocuments: ['id'] },
      eligibility: [{ type: 'offramp', status: 'requires-data' }],
    });
    expect(await harness.handoff.outbox.stats()).toMatchObject({ pending: 0, failed: 0, delivered: 6 });
  });

  it('a receiver answering 500 for a while gets every event after the retries, still in order per user', async () => {
    const receiver = await startReceiver((n) => (n < 6 ? 500 : 200));
    cleanups.push(() => receiver.close());
    harness = await startHarness({}, FAST);
    const delivery = harness.handoff.deliver(
      webhookSender({ url: receiver.url, secret: SECRET }),
      QUICK_RETRIES,
    );
    cleanups.push(() => delivery.stop());
    await harness.handoff.submit([userRecord('r-1'), userRecord('r-2')]);
    await harness.handoff.run();
    await waitFor(
      'every event delivered',
      async () => (await harness!.handoff.outbox.stats()).delivered === 4,
    );
    expect(receiver.received.filter((r) => r.status === 500).length).toBe(6);
    expectInOrderPerUser(receiver.received);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });

  it('replay sends the events again with the same webhook-id, so a receiver can drop duplicates', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    harness = await startHarness({}, FAST);
    const delivery = harness.handoff.deliver(
      webhookSender({ url: receiver.url, secret: SECRET }),
      QUICK_RETRIES,
    );
    cleanups.push(() => delivery.stop());
    await harness.handoff.submit(userRecord('again'));
    await harness.handoff.run();
    await delivery.drain();
    const first = receiver.received.map((r) => r.id);
    expect(await harness.handoff.outbox.replay(0)).toBe(2);
    await waitFor('the replay', () => receiver.received.length === 4);
    expect(receiver.received.slice(2).map((r) => r.id)).toEqual(first);
  });

  it('a tampered body or a wrong secret fails verification', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    harness = await startHarness({}, FAST);
    const delivery = harness.handoff.deliver(
      webhookSender({ url: receiver.url, secret: SECRET }),
      QUICK_RETRIES,
    );
    cleanups.push(() => delivery.stop());
    await harness.handoff.submit(userRecord('tamper'));
    await harness.handoff.run();
    await delivery.drain();
    const original = receiver.received[0]!;
    const body = original.body;
    const signed = new Webhook(SECRET);
    const timestamp = new Date();
    const signature = signed.sign(original.id, timestamp, original.body);
    const valid = {
      'webhook-id': original.id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(() => signed.verify(body, valid)).not.toThrow();
    expect(() => signed.verify(body.replace('"tamper"', '"someone-else"'), valid)).toThrow();
    const other = new Webhook(`whsec_${Buffer.from('another secret of thirty two by!').toString('base64')}`);
    expect(() => other.verify(body, valid)).toThrow();
  });

  it('bodies carry ids, states and reasons only: the canary SSN and email are in none', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    harness = await startHarness({}, FAST);
    const delivery = harness.handoff.deliver(
      webhookSender({ url: receiver.url, secret: SECRET }),
      QUICK_RETRIES,
    );
    cleanups.push(() => delivery.stop());
    await harness.handoff.submit(canaryRecord('canary-hook'));
    await harness.handoff.run();
    await delivery.drain();
    const everything = JSON.stringify(receiver.received);
    expect(receiver.received.length).toBe(2);
    for (const secret of [CANARY.ssn, CANARY.email, SECRET]) expect(everything).not.toContain(secret);
  });

  it('refuses a secret that is not whsec_ base64, and a URL that is not http(s), without echoing them', () => {
    expect(() => webhookSender({ url: 'http://127.0.0.1:1/h', secret: 'not-a-secret-value' })).toThrow(
      /must be whsec_ followed by base64/,
    );
    expect(() => webhookSender({ url: 'ftp://example.com/h', secret: SECRET })).toThrow(/https or http/);
  });
});

describe('webhooks across a crash', () => {
  it('a sender SIGKILLed mid-delivery: after a restart every event arrives at least once, in order per user', async () => {
    let holding = true;
    const receiver = await startReceiver(() => (holding ? 'hold' : 204));
    cleanups.push(() => receiver.close());
    harness = await startHarness({}, FAST);
    const users = 12;
    const start = (): { child: ChildProcess; exited: Promise<unknown> } => {
      const child = spawn(
        tsx,
        [
          '--conditions',
          'source',
          join(here, '__test-utils__/webhook-child.ts'),
          harness!.dbPath,
          `${harness!.url}/api`,
          receiver.url,
          String(users),
        ],
        {
          cwd: here,
          env: { ...process.env, KYC_HANDOFF_ENCRYPTION_KEY: harness!.keyring, WEBHOOK_SECRET: SECRET },
          stdio: ['ignore', 'ignore', 'inherit'],
          detached: true,
        },
      );
      return { child, exited: new Promise((r) => child.on('exit', r)) };
    };
    const first = start();
    await waitFor('deliveries in flight', () => receiver.held.length >= 3, 30_000);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    holding = false;
    for (const release of receiver.held.splice(0)) release();
    const second = start();
    await second.exited;

    const expected = users * 2;
    const ids = new Set(receiver.received.map((r) => r.id));
    expect(ids.size).toBe(expected);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    // Held requests (status 0) were never answered: they count as not delivered.
    expectInOrderPerUser(receiver.received);
    expect(await harness.store.outboxStats()).toMatchObject({ pending: 0, delivered: expected });
  }, 60_000);
});
