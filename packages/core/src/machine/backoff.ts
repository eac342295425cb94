import type { OnboardingPolicy, Step } from './context.js';

const STEP_SALT: Record<Step | 'poll', number> = {
  recordingPolicy: 0x1b873593,
  submittingKyc: 0x2c1b3c6d,
  uploadingDocuments: 0x297a2d39,
  triggering: 0x6b43a9b5,
  checking: 0x3c6ef372,
  poll: 0x5f356495,
};

/**
 * A number in [0, 1) that depends only on its inputs (a mulberry32 round), so the same snapshot
 * always computes the same wait: jitter with no source of randomness but the seed.
 */
export function seededUnit(seed: number, salt: number, n: number): number {
  let t = (seed ^ salt ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

/** Exponential delay with "equal jitter": between half and all of the capped exponential delay. */
function jittered(base: number, cap: number, exponent: number, unit: number): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(exponent, 30));
  return Math.floor(ceiling / 2 + (ceiling / 2) * unit);
}

export function retryDelay(policy: OnboardingPolicy, seed: number, step: Step, attempt: number): number {
  return jittered(
    policy.baseDelayMs,
    policy.maxDelayMs,
    attempt - 1,
    seededUnit(seed, STEP_SALT[step], attempt),
  );
}

export function pollDelay(policy: OnboardingPolicy, seed: number, pollCount: number): number {
  return jittered(
    policy.pollInitialMs,
    policy.pollMaxMs,
    pollCount,
    seededUnit(seed, STEP_SALT.poll, pollCount),
  );
}

/** The poll counter stops growing once the delay has reached its cap, so the state space stays finite. */
export function pollCountCap(policy: OnboardingPolicy): number {
  let n = 0;
  while (policy.pollInitialMs * 2 ** n < policy.pollMaxMs && n < 30) n++;
  return n;
}

export function retryAfterDelay(policy: OnboardingPolicy, retryAfterMs: number | undefined): number {
  const wanted =
    retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? retryAfterMs : policy.baseDelayMs;
  return Math.min(policy.maxRetryAfterMs, Math.max(0, wanted));
}
