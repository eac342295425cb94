import type { CrossmintPort } from '@kyc-handoff/core';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoff, type Handoff, VirtualClock } from '../src/index.js';
import { followHandoffs } from '../src/testing.js';
import { API_KEY, type Harness, startHarness, userRecord } from './__test-utils__/harness.js';

const FLOW = [
  'userCreated.submittingKyc',
  'userCreated.triggering',
  'verificationPending.waiting',
  'verificationPending.checking',
  'verified',
];

let harness: Harness | undefined;
let closeClient: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeClient?.();
  await harness?.close();
  harness = undefined;
  closeClient = undefined;
});

/** A port whose every call takes `ms` of the virtual clock. */
function slowPort(port: CrossmintPort, clock: VirtualClock, ms: number): CrossmintPort {
  return new Proxy(port, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        clock.advance(ms);
        return value.apply(target, args);
      };
    },
  });
}

async function engineWithCallsOf(callMs: number): Promise<{ handoff: Handoff; clock: VirtualClock }> {
  const clock = new VirtualClock();
  harness = await startHarness({ clock });
  const client = createCrossmintClient({ baseUrl: `${harness.url}/api` }, { apiKey: API_KEY });
  closeClient = () => client.close();
  const handoff = createHandoff({
    crossmint: slowPort(client, clock, callMs),
    store: harness.store,
    clock,
    budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
    policy: { pollInitialMs: 1, pollMaxMs: 1 },
    idleSweepMs: 50,
  });
  followHandoffs(clock, handoff);
  return { handoff, clock };
}

describe('checkpoints', () => {
  it('steps due at once are committed as one write, with a journal row for every transition', async () => {
    const { handoff } = await engineWithCallsOf(0);
    const notices: string[] = [];
    handoff.subscribe((n) => notices.push(n.to));
    await handoff.submit(userRecord('quick'));
    await handoff.run();
    const status = await handoff.status('quick');
    expect(status?.journal.map((j) => j.to)).toEqual(FLOW);
    expect(notices).toEqual(FLOW);
    expect(handoff.activity().commits).toBe(1);
    expect(harness!.sandbox.stats().total).toBe(4);
  });

  it('a slow run is committed at least once a second, so a crash repeats at most that much', async () => {
    // 600 ms per call: policy + upsert pass the 1 s mark, then trigger + first poll do.
    const { handoff } = await engineWithCallsOf(600);
    await handoff.submit(userRecord('slow'));
    await handoff.run();
    const status = await handoff.status('slow');
    expect(status?.journal.map((j) => j.to)).toEqual(FLOW);
    expect(handoff.activity().commits).toBe(2);
    expect(harness!.sandbox.stats().total).toBe(4);
  });
});
