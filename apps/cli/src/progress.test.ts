import type { Handoff } from '@kyc-handoff/engine';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startProgress } from './progress.js';

const wasTty = process.stderr.isTTY;
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  process.stderr.isTTY = wasTty;
});

describe('plain progress lines', () => {
  it('count the rate from the start, not from the first line', async () => {
    vi.useFakeTimers();
    // Plain lines are what a non-terminal gets, whatever runs the tests.
    process.stderr.isTTY = false;
    let counts: Record<string, number> = { policyPending: 20 };
    const handoff = {
      stats: async () => ({
        states: counts,
        etaMs: null,
        pollIntervalMs: null,
        underReview: 0,
        bindingBudget: null,
      }),
    } as unknown as Handoff;
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const progress = startProgress(handoff, { until: 'idle', plainEveryMs: 5_000 });
    await vi.advanceTimersByTimeAsync(0);
    counts = { verified: 10, policyPending: 10 };
    await vi.advanceTimersByTimeAsync(5_000);
    await progress.stop();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('progress: 10/20 done');
    expect(lines[0]).toContain('2.0 users/s');
  });

  it('give the ETA of the budget that binds and the poll interval the read budget allows', async () => {
    vi.useFakeTimers();
    process.stderr.isTTY = false;
    const handoff = {
      stats: async () => ({
        states: { policyPending: 10, verificationPending: 1_800 },
        etaMs: 5 * 60_000,
        pollIntervalMs: 5 * 60_000,
        underReview: 1_800,
        bindingBudget: 'read',
      }),
    } as unknown as Handoff;
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const progress = startProgress(handoff, { until: 'idle', plainEveryMs: 5_000 });
    await vi.advanceTimersByTimeAsync(5_000);
    await progress.stop();
    expect(lines[0]).toContain('ETA 5m (reads bind), polls every 5m (1800 in review)');
  });
});
