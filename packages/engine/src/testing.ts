// Helpers for tests of code that embeds a handoff: run minutes of backoff and rate limits on a
// VirtualClock in milliseconds. Not needed in production.
import type { VirtualClock } from './clock.js';
import type { Handoff } from './handoff.js';
import { busyOf } from './internals.js';

/** Whether some onboarding of `handoff` is doing more than waiting on the clock (a call, a commit). */
export function isBusy(handoff: Handoff): boolean {
  return busyOf.get(handoff)?.() ?? false;
}

/** Lets `clock` jump ahead only while none of `handoffs` is busy. */
export function followHandoffs(clock: VirtualClock, ...handoffs: Handoff[]): void {
  clock.isBusy = () => handoffs.some(isBusy);
}
