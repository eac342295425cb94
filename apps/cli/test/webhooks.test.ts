// Webhooks as a platform's receiver sees them: every request checked with the standardwebhooks
// package's own verify, on loopback.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { ndjson, runCli, startWorld, usRecord, type World } from './__test-utils__/cli.js';
import { type Received, type Receiver, startReceiver } from './__test-utils__/receiver.js';

let world: World | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  await world?.close();
  receiver = undefined;
  world = undefined;
});

/** Every personal value of the records these tests import (usRecord's canaries among them). */
const PERSONAL = ['canary.', '987-65-', 'Alice', '1990-01-15', '701 S Miami Ave', '33156'];

function importFile(w: World, records: unknown[]): string {
  const file = join(w.dir, 'users.ndjson');
  writeFileSync(file, ndjson(records));
  return file;
}

const hooks = (r: Receiver) => ['--webhook-url', r.url, '--webhook-secret', r.secret];

/** Each user's events as the receiver acknowledged them, in arrival order. */
function byUser(received: Received[]): Map<string, Received[]> {
  const out = new Map<string, Received[]>();
  for (const r of received) {
    const userId = r.payload?.data.userId ?? '?';
    out.set(userId, [...(out.get(userId) ?? []), r]);
  }
  return out;
}

const USERS = () => [usRecord('wh-1'), usRecord('wh-2', 'Rejected', 2), usRecord('wh-3', 'Incomplete', 3)];
const OUTCOMES = { 'wh-1': 'verified', 'wh-2': 'rejected', 'wh-3': 'requiresData' } as const;

describe('webhooks', () => {
  it('an import delivers each user its submitted event and its outcome, signed, in order; status shows none pending', async () => {
    world = await startWorld();
    receiver = await startReceiver();
    const r = await runCli(
      ['import', importFile(world, USERS()), '--json', ...world.fast, ...hooks(receiver)],
      {
        env: world.env,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    for (const got of receiver.received) expect(got.error, got.body).toBeUndefined();
    const users = byUser(receiver.received);
    expect([...users.keys()].sort()).toEqual(['wh-1', 'wh-2', 'wh-3']);
    for (const [userId, events] of users) {
      expect(events.map((e) => e.payload?.type)).toEqual([
        'onboarding.submitted',
        `onboarding.${OUTCOMES[userId as keyof typeof OUTCOMES]}`,
      ]);
      expect(events.map((e) => e.payload?.data.seq)).toEqual([1, 2]);
      // webhook-id is the event id, the same one the body carries.
      for (const e of events) expect(e.id).toBe(e.payload?.data.id);
    }
    expect(new Set(receiver.received.map((e) => e.id)).size).toBe(6);

    const status = await runCli(['webhooks', 'status', '--json'], { env: world.env });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ pending: 0, failed: 0, delivered: 6, oldestPendingAt: null });
    const plain = await runCli(['webhooks', 'status'], { env: world.env });
    expect(plain.stdout).toMatch(/pending\s+0/);
    expect(plain.stdout).toMatch(/delivered\s+6/);

    for (const text of [
      ...receiver.received.map((e) => e.body),
      status.stdout,
      plain.stdout,
      r.stdout,
      r.stderr,
    ]) {
      for (const value of PERSONAL) expect(text).not.toContain(value);
      expect(text).not.toContain(receiver.secret);
    }
  });

  it('a receiver answering 500 at first gets every event after the retries, still in order per user', async () => {
    world = await startWorld();
    receiver = await startReceiver((n) => (n <= 3 ? 500 : 200));
    const r = await runCli(
      [
        'import',
        importFile(world, USERS()),
        '--json',
        ...world.fast,
        ...hooks(receiver),
        '--webhook-retry-ms',
        '50',
        '--webhook-drain-ms',
        '20000',
      ],
      { env: world.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(receiver.received.slice(0, 3).map((e) => e.status)).toEqual([500, 500, 500]);
    expect(r.stderr).toContain('outbox delivery failed; retrying with backoff');
    const acknowledged = receiver.acknowledged();
    expect(new Set(acknowledged.map((e) => e.id)).size).toBe(6);
    // The refused ones arrived again later, with the same webhook-id.
    for (const refused of receiver.received.slice(0, 3)) {
      expect(acknowledged.map((e) => e.id)).toContain(refused.id);
    }
    for (const [, events] of byUser(acknowledged)) {
      expect(events.map((e) => e.payload?.data.seq)).toEqual([1, 2]);
    }
    for (const got of receiver.received) expect(got.error).toBeUndefined();
    const status = JSON.parse((await runCli(['webhooks', 'status', '--json'], { env: world.env })).stdout);
    expect(status).toMatchObject({ pending: 0, delivered: 6 });
  });

  it('replay --since queues the events again and the next run redelivers them with the same webhook-id', async () => {
    world = await startWorld();
    receiver = await startReceiver();
    const since = new Date(Date.now() - 1_000).toISOString();
    const file = importFile(world, USERS());
    expect((await runCli(['import', file, ...world.fast, ...hooks(receiver)], { env: world.env })).code).toBe(
      0,
    );
    const first = receiver.received.map((e) => e.id);
    expect(first).toHaveLength(6);

    const replay = await runCli(['webhooks', 'replay', '--since', since], { env: world.env });
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/^6 events since .* queued again/);
    expect(
      JSON.parse((await runCli(['webhooks', 'status', '--json'], { env: world.env })).stdout),
    ).toMatchObject({
      pending: 6,
    });
    const future = await runCli(['webhooks', 'replay', '--since', '2999-01-01'], { env: world.env });
    expect(future.stdout).toMatch(/^0 events since/);

    const resumed = await runCli(['resume', ...world.unlimited, ...hooks(receiver)], { env: world.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const again = receiver.received.slice(6);
    expect(again.map((e) => e.id).sort()).toEqual([...first].sort());
    for (const got of again) expect(got.error).toBeUndefined();
    for (const [, events] of byUser(again)) expect(events.map((e) => e.payload?.data.seq)).toEqual([1, 2]);
  });

  it('a body changed on the way fails verify', async () => {
    world = await startWorld();
    receiver = await startReceiver();
    const r = await runCli(
      ['import', importFile(world, [usRecord('wh-9')]), ...world.fast, ...hooks(receiver)],
      {
        env: world.env,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const verified = receiver.received.find((e) => e.payload?.type === 'onboarding.verified');
    expect(verified).toBeDefined();
    const { body, headers } = verified as Received;
    const verifier = new Webhook(receiver.secret);
    expect(() => verifier.verify(body, headers)).not.toThrow();
    expect(() => verifier.verify(body.replace('"verified"', '"rejected"'), headers)).toThrow();
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another secret!!').toString('base64')}`).verify(body, headers),
    ).toThrow();
  });

  it('events a receiver never takes stay in the outbox, and the run says how many', async () => {
    world = await startWorld();
    receiver = await startReceiver(() => 503);
    const r = await runCli(
      [
        'import',
        importFile(world, [usRecord('wh-5')]),
        ...world.fast,
        ...hooks(receiver),
        '--webhook-drain-ms',
        '300',
      ],
      { env: world.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /webhooks: 2 events not delivered within --webhook-drain-ms 300; they stay in the outbox and the next run with --webhook-url delivers them/,
    );
    const status = JSON.parse((await runCli(['webhooks', 'status', '--json'], { env: world.env })).stdout);
    expect(status).toMatchObject({ pending: 2, delivered: 0 });
    expect(Date.parse(status.oldestPendingAt)).toBeGreaterThan(0);
  });

  it('reads the secret from --webhook-secret-file (KYC_HANDOFF_WEBHOOK_SECRET_FILE), with the URL from the environment', async () => {
    world = await startWorld();
    receiver = await startReceiver();
    const secretFile = join(world.dir, 'whsec.txt');
    writeFileSync(secretFile, `${receiver.secret}\n`, { mode: 0o600 });
    const r = await runCli(['import', importFile(world, [usRecord('wh-6')]), ...world.fast], {
      env: {
        ...world.env,
        KYC_HANDOFF_WEBHOOK_URL: receiver.url,
        KYC_HANDOFF_WEBHOOK_SECRET_FILE: secretFile,
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(receiver.received).toHaveLength(2);
    for (const got of receiver.received) expect(got.error).toBeUndefined();
  });

  it.each([
    [
      'a URL that does not parse',
      ['--webhook-url', 'not a url', '--webhook-secret', 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ='],
      /webhook URL is not a valid URL/,
    ],
    [
      'a URL that is not http(s)',
      ['--webhook-url', 'ftp://127.0.0.1/x', '--webhook-secret', 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ='],
      /must use https or http/,
    ],
    [
      'a secret that is not whsec_',
      ['--webhook-url', 'http://127.0.0.1:9/x', '--webhook-secret', 'canary-secret-value-1234'],
      /whsec_ followed by base64/,
    ],
    [
      'a URL without a secret',
      ['--webhook-url', 'http://127.0.0.1:9/x'],
      /--webhook-url needs the signing secret/,
    ],
    [
      'a secret without a URL',
      ['--webhook-secret', 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ='],
      /secret was given without a URL/,
    ],
  ])('%s is one line at start, exit 1, before any call', async (_, flags, message) => {
    world = await startWorld();
    const r = await runCli(['import', importFile(world, [usRecord('wh-7')]), ...world.fast, ...flags], {
      env: world.env,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('canary-secret-value');
    expect(r.stderr).not.toContain('c2VjcmV0');
    expect(world.sandbox.stats().total).toBe(0);
  });
});
