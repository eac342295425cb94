import type { Lane, SharedBudget } from '@kyc-handoff/core';
import type { Clock } from './clock.js';

/**
 * Pacing below the limit with a small burst keeps every sliding minute under it: burst + pace × 60 s
 * = 99% of the limit. The last 1% absorbs the difference between when a token is granted here and
 * when the request reaches Crossmint's window (measured: at exactly 100% one request in 1,771 got a
 * 429). Crossmint's window is not documented; this holds for any window of a minute.
 */
const PACE = 0.97;
const BURST_SHARE = 0.02;

/** After a 429 the pace halves (never below this share) and creeps back up with each success. */
const MIN_PACE_SHARE = 0.1;
const RECOVERY_PER_SUCCESS = 0.01;

export interface BudgetSnapshot {
  /** Infinity when unlimited. */
  limitPerMinute: number;
  pacePerMinute: number;
  tokens: number;
  granted: number;
  /** Until when Crossmint's Retry-After pauses this budget (epoch ms; 0 when not paused). */
  pausedUntil: number;
}

/**
 * One rate budget. The engine never waits on it while holding a slot: the scheduler reserves tokens
 * for the onboardings it claims, and a running onboarding takes the next token only if one is there
 * now (otherwise it gives its slot back). With a shared source (a PostgreSQL store), tokens come
 * from one bucket for every worker, a small batch per round trip; unused ones stay here as credit.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private pace: number;
  private pausedUntil = 0;
  private granted = 0;
  private readonly burst: number;
  /** What the shared bucket held after this worker's last take, and when: when its next token is due. */
  private sharedLeft = 0;
  private sharedAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly lane: Lane,
    private readonly limitPerMinute: number,
    private readonly clock: Clock,
    private readonly shared?: SharedBudget,
  ) {
    this.pace = limitPerMinute * PACE;
    this.burst = Math.max(1, Math.floor(limitPerMinute * BURST_SHARE));
    this.tokens = shared ? 0 : this.burst;
    this.updatedAt = clock.now();
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.limitPerMinute);
  }

  /** Tokens per minute at the current pace (Infinity when unlimited). */
  get pacePerMinute(): number {
    return this.unlimited ? Number.POSITIVE_INFINITY : this.pace;
  }

  /**
   * Takes up to `want` tokens that are there now, and returns how many it took (possibly 0). Never
   * waits for a token to accrue; a shared source is asked once for what this worker lacks.
   */
  async reserve(want: number): Promise<number> {
    const n = Math.max(0, Math.floor(want));
    if (n === 0) return 0;
    if (this.unlimited || this.shared === undefined) return this.reserveHere(n);
    const now = this.clock.now();
    if (now < this.pausedUntil) return 0;
    this.refill(now);
    if (this.tokens < n) {
      // Exactly what is lacking: a token kept here for later would come on top of the shared
      // bucket's own burst, and two workers' spares together could overrun the limit.
      const ask = n - Math.floor(this.tokens);
      const { granted, left } = await this.shared.takeTokens(this.lane, ask, now, this.pace, this.burst);
      this.tokens += granted;
      this.sharedLeft = left;
      this.sharedAt = now;
    }
    return this.takeHeld(n);
  }

  /**
   * One token if there is one now. Synchronous unless a shared source must be asked: the token of
   * each call then costs no promise and no turn of the event loop.
   */
  tryTake(): boolean | Promise<boolean> {
    if (this.unlimited || this.shared === undefined) return this.reserveHere(1) === 1;
    return this.reserve(1).then((taken) => taken === 1);
  }

  /** reserve() of a budget with no shared source (or none at all): nothing to wait for. */
  private reserveHere(n: number): number {
    if (this.unlimited) {
      this.granted += n;
      return n;
    }
    const now = this.clock.now();
    if (now < this.pausedUntil) return 0;
    this.refill(now);
    return this.takeHeld(n);
  }

  private takeHeld(n: number): number {
    const taken = Math.min(n, Math.floor(this.tokens));
    this.tokens -= taken;
    this.granted += taken;
    return taken;
  }

  /**
   * Tokens reserved moments ago but not spent (fewer onboardings were due): kept for later here, or
   * put back into the shared bucket (never above its burst), where every worker can have them.
   */
  giveBack(n: number): void {
    if (n <= 0) return;
    this.granted -= n;
    if (this.unlimited) return;
    if (this.shared === undefined) {
      this.tokens += n;
      return;
    }
    // Fire and forget: a return that fails only leaves the budget a little under-used.
    this.shared.returnTokens(this.lane, n, this.clock.now(), this.pace, this.burst).catch(() => undefined);
  }

  /** Milliseconds until the next token can be had, at the current pace (0 when one is there). */
  msUntilToken(): number {
    if (this.unlimited) return 0;
    const now = this.clock.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill(now);
    if (this.tokens >= 1) return 0;
    if (this.shared !== undefined) {
      // From what the shared bucket held at the last take: waiting a whole interval from now would
      // arrive late, and whatever accrued past its small burst meanwhile would be lost. Another
      // worker may take that token first; then the next ask says so and the wait is computed again.
      const sinceTake = now - this.sharedAt;
      return Math.max(1, Math.ceil(((1 - this.sharedLeft) * 60_000) / this.pace - sinceTake));
    }
    return Math.ceil(((1 - this.tokens) * 60_000) / this.pace);
  }

  /** Crossmint answered 429: slow down and respect its Retry-After for everyone. */
  penalize(retryAfterMs: number): void {
    if (this.unlimited) return;
    this.pace = Math.max(this.limitPerMinute * MIN_PACE_SHARE, this.pace / 2);
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + retryAfterMs);
  }

  recordSuccess(): void {
    if (this.unlimited) return;
    this.pace = Math.min(this.limitPerMinute * PACE, this.pace + this.limitPerMinute * RECOVERY_PER_SUCCESS);
  }

  /**
   * Tokens there now, refilled to this moment (fractional; with a shared budget, this worker's
   * credit only); Infinity when unlimited. For metrics: taking a token still goes through reserve.
   */
  available(): number {
    if (this.unlimited) return Number.POSITIVE_INFINITY;
    this.refill(this.clock.now());
    return this.tokens;
  }

  /** Milliseconds Crossmint's Retry-After still pauses this budget (0 when not paused). */
  pausedForMs(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  snapshot(): BudgetSnapshot {
    return {
      limitPerMinute: this.limitPerMinute,
      pacePerMinute: this.pacePerMinute,
      tokens: this.tokens,
      granted: this.granted,
      pausedUntil: this.pausedUntil,
    };
  }

  private refill(now: number): void {
    // A shared bucket refills in the store; locally only its credit is kept.
    if (this.shared) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.pace) / 60_000);
    this.updatedAt = now;
  }
}

/** The two budgets of a Crossmint project, one per lane. */
export class Budgets {
  readonly write: TokenBucket;
  readonly read: TokenBucket;

  constructor(
    limits: { writesPerMinute: number; readsPerMinute: number },
    clock: Clock,
    shared?: SharedBudget,
  ) {
    this.write = new TokenBucket('write', limits.writesPerMinute, clock, shared);
    this.read = new TokenBucket('read', limits.readsPerMinute, clock, shared);
  }

  bucket(lane: Lane): TokenBucket {
    return lane === 'write' ? this.write : this.read;
  }
}
