import { afterEach, describe, expect, it } from 'vitest';
import { type TransitionNotice, VirtualClock } from '../src/index.js';
import { followHandoffs } from '../src/testing.js';
import { type Harness, startHarness, userRecord } from './__test-utils__/harness.js';

const WRITES_PER_MIN = 60;
const READS_PER_MIN = 120;
const USERS = 80;
const WRITE_STATES = new Set([
  'policyPending.recordingPolicy',
  'userCreated.submittingKyc',
  'userCreated.uploadingDocuments',
  'userCreated.triggering',
]);

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('rate budgets', () => {
  it('a backlog against a rate-limited project gets no 429 and uses at least 90% of the allowed writes', async () => {
    const clock = new VirtualClock();
    harness = await startHarness(
      { clock, writesPerMin: WRITES_PER_MIN, readsPerMin: READS_PER_MIN, verifyAfterPolls: 1 },
      { clock, concurrency: 32, budgets: { writesPerMinute: WRITES_PER_MIN, readsPerMinute: READS_PER_MIN } },
    );
    followHandoffs(clock, harness.handoff);
    const writesAt: number[] = [];
    harness.handoff.subscribe((notice: TransitionNotice) => {
      if (
        WRITE_STATES.has(notice.from) &&
        notice.detail !== undefined &&
        !notice.detail.startsWith('rate-limited')
      ) {
        writesAt.push(notice.at);
      }
    });
    const start = clock.now();
    await harness.handoff.submit(Array.from({ length: USERS }, (_, i) => userRecord(`budget-${i}`)));
    await harness.handoff.run();

    const stats = harness.sandbox.stats();
    expect(stats.rateLimited).toBe(0);
    expect(stats.byStatus['429'] ?? 0).toBe(0);
    expect((await harness.handoff.stats()).states).toEqual({ verified: USERS });

    const writes = USERS * 3;
    const minutes = (Math.max(...writesAt) - start) / 60_000;
    const used = writes / (WRITES_PER_MIN * minutes);
    console.info(
      `budget test: ${writes} writes in ${minutes.toFixed(2)} virtual minutes = ${(used * 100).toFixed(1)}% of the write budget`,
    );
    expect(used).toBeGreaterThanOrEqual(0.9);
    expect(used).toBeLessThanOrEqual(1.0);
  }, 60_000);
});
