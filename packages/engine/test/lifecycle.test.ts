import { CANARY, canaryRecord } from '@kyc-handoff/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Logger, type TransitionNotice, VirtualClock } from '../src/index.js';
import { followHandoffs } from '../src/testing.js';
import { type Harness, startHarness, userRecord } from './__test-utils__/harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function capturingLogger(lines: string[]): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('engine lifecycle', () => {
  it('stop() lets calls in flight finish, commits, and leaves no lease behind', async () => {
    const clock = new VirtualClock();
    harness = await startHarness({ clock, latencyMs: 20 }, { clock, concurrency: 8 });
    followHandoffs(clock, harness.handoff);
    await harness.handoff.submit(Array.from({ length: 30 }, (_, i) => userRecord(`stop-${i}`, 'Pending')));
    const run = harness.handoff.run({ until: 'stopped' });
    while (harness.handoff.activity().callsInFlight === 0) await new Promise((r) => setTimeout(r, 2));
    await harness.handoff.stop({ graceMs: 5_000 });
    await run;
    expect(harness.handoff.activity()).toMatchObject({ callsInFlight: 0, driving: 0 });
    // Another worker can take every unfinished onboarding at once: nothing is left leased.
    const due = await harness.store.claimDue({
      now: clock.now() + 60_000 * 60,
      limit: 100,
      owner: 'other',
      leaseMs: 1,
    });
    const counts = (await harness.handoff.stats()).states;
    expect(due.length).toBe(30 - (counts.verified ?? 0) - (counts.rejected ?? 0));
  });

  it('an SSN and an email from the input never reach logs, notices, status or the journal', async () => {
    const lines: string[] = [];
    const notices: TransitionNotice[] = [];
    harness = await startHarness(
      {},
      { logger: capturingLogger(lines), policy: { pollInitialMs: 1, pollMaxMs: 1 } },
    );
    harness.handoff.subscribe((n) => notices.push(n));
    const record = canaryRecord('canary-engine');
    const withMissingDocument = {
      ...canaryRecord('canary-doc'),
      userDetails: { ...record.userDetails!, lastName: 'Incomplete' },
    };
    await harness.handoff.submit([record, withMissingDocument]);
    await harness.handoff.run();
    // A document path that cannot be read is refused when supplied: the reason must not echo it.
    const refused = await harness.handoff.supplyData('canary-doc', {
      documents: [{ documentType: 'id-passport', path: `/nonexistent/${CANARY.email}.png` }],
    });
    expect(refused.ok).toBe(false);
    await harness.handoff.run();

    const everything = JSON.stringify({
      lines,
      notices,
      a: await harness.handoff.status('canary-engine'),
      b: await harness.handoff.status('canary-doc'),
      stats: await harness.handoff.stats(),
      refused,
    });
    expect(everything).toContain('canary-doc');
    expect((await harness.handoff.status('canary-doc'))?.state).toBe('requiresData');
    expect(everything).not.toContain(CANARY.ssn);
    expect(everything).not.toContain(CANARY.ssn.replaceAll('-', ''));
    expect(everything).not.toContain(CANARY.email);
  });
});
