import type { BudgetKind } from '@kyc-handoff/core';
import type { Clock } from './clock.js';

export interface BudgetLimits {
  /** Crossmint's published default is 120 writes a minute per project; 0 or Infinity = no limit. */
  writesPerMinute?: number;
  /** Crossmint's published default is 360 reads a minute per project; 0 or Infinity = no limit. */
  readsPerMinute?: number;
}

export const DEFAULT_BUDGETS = { writesPerMinute: 120, readsPerMinute: 360 } as const;

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

/** A token source shared by several workers (a PostgreSQL store implements it). */
export interface SharedTokenSource {
  takeTokens(
    bucket: BudgetKind,
    want: number,
    now: number,
    perMinute: number,
    burst: number,
  ): Promise<number>;
}

export interface BudgetSnapshot {
  limitPerMinute: number;
  pacePerMinute: number;
  tokens: number;
  granted: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private pace: number;
  private pausedUntil = 0;
  private granted = 0;
  private readonly burst: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly kind: BudgetKind,
    private readonly limitPerMinute: number,
    private readonly clock: Clock,
    private readonly shared?: SharedTokenSource,
  ) {
    this.pace = limitPerMinute * PACE;
    this.burst = Math.max(1, Math.floor(limitPerMinute * BURST_SHARE));
    this.tokens = shared ? 0 : this.burst;
    this.updatedAt = clock.now();
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.limitPerMinute) || this.limitPerMinute <= 0;
  }

  /** Waits for one token. Callers queue in order, so nobody starves. */
  take(signal?: AbortSignal): Promise<void> {
    if (this.unlimited) {
      this.granted++;
      return Promise.resolve();
    }
    const turn = this.queue.then(() => this.acquire(signal));
    this.queue = turn.catch(() => {});
    return turn;
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

  snapshot(): BudgetSnapshot {
    return {
      limitPerMinute: this.limitPerMinute,
      pacePerMinute: this.pace,
      tokens: this.tokens,
      granted: this.granted,
    };
  }

  /** Time until the next token, in ms, at the current pace. */
  msPerToken(): number {
    return 60_000 / this.pace;
  }

  private refill(now: number): void {
    if (this.shared) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.pace) / 60_000);
    this.updatedAt = now;
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new Error('budget wait aborted');
      const now = this.clock.now();
      if (now < this.pausedUntil) {
        await this.clock.sleep(this.pausedUntil - now, signal);
        continue;
      }
      this.refill(now);
      if (this.tokens < 1 && this.shared) {
        // Ask the shared bucket for a small batch: one round trip serves several calls.
        this.tokens += await this.shared.takeTokens(this.kind, this.burst, now, this.pace, this.burst);
      }
      if (this.tokens >= 1) {
        this.tokens -= 1;
        this.granted++;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) * 60_000) / this.pace), signal);
    }
  }
}

export class Budgets {
  readonly write: TokenBucket;
  readonly read: TokenBucket;

  constructor(limits: BudgetLimits, clock: Clock, shared?: SharedTokenSource) {
    this.write = new TokenBucket(
      'write',
      limits.writesPerMinute ?? DEFAULT_BUDGETS.writesPerMinute,
      clock,
      shared,
    );
    this.read = new TokenBucket(
      'read',
      limits.readsPerMinute ?? DEFAULT_BUDGETS.readsPerMinute,
      clock,
      shared,
    );
  }

  bucket(kind: BudgetKind): TokenBucket {
    return kind === 'write' ? this.write : this.read;
  }
}
