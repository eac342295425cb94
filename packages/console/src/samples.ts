import type { StateCounts } from '@kyc-handoff/core';

/** The finished counts at one moment. */
export interface Sample {
  at: number;
  verified: number;
  /** verified + rejected + failed: onboardings that need nothing more from the engine now. */
  finished: number;
}

/**
 * A ring of recent samples for the throughput chart, taken whenever a page refreshes the overview
 * (at most one a second, however many tabs are open). Deriving throughput from the rows' updatedAt
 * would cost a scan of a million rows per refresh; counts are one indexed query the overview makes
 * anyway. The chart therefore starts when the console does, which the page says.
 */
export class ThroughputSamples {
  private readonly ring: Sample[] = [];

  constructor(
    private readonly capacity = 900,
    private readonly minSpacingMs = 1_000,
  ) {}

  record(at: number, states: StateCounts): void {
    const last = this.ring.at(-1);
    if (last !== undefined && at - last.at < this.minSpacingMs) return;
    const verified = states.verified ?? 0;
    const finished = verified + (states.rejected ?? 0) + (states.failed ?? 0);
    this.ring.push({ at, verified, finished });
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  samples(): readonly Sample[] {
    return this.ring;
  }

  /** Verified onboardings a minute over the samples held, or null with fewer than two. */
  verifiedPerMinute(): number | null {
    const first = this.ring[0];
    const last = this.ring.at(-1);
    if (first === undefined || last === undefined || last.at <= first.at) return null;
    return ((last.verified - first.verified) / (last.at - first.at)) * 60_000;
  }
}
