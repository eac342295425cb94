const WINDOW_MS = 60_000;

/**
 * Sliding-window log per key: Crossmint documents "N per minute" without saying how the minute is
 * cut, and a sliding window is the strictest reading, so a client that passes here passes there.
 * Memory is bounded by the limit per key (timestamps older than the window are dropped).
 */
export class SlidingWindowLimiter {
  readonly #hits = new Map<string, number[]>();

  /** Takes a slot, or returns the whole seconds until one frees (>= 1) without taking it. */
  take(key: string, limit: number, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (limit <= 0) return { ok: true };
    let hits = this.#hits.get(key);
    if (hits === undefined) {
      hits = [];
      this.#hits.set(key, hits);
    }
    let expired = 0;
    while (expired < hits.length && (hits[expired] as number) <= now - WINDOW_MS) expired++;
    if (expired > 0) hits.splice(0, expired);
    if (hits.length >= limit) {
      // The slot that frees first is the one the (length - limit + 1)-th oldest hit holds.
      const freeing = hits[hits.length - limit] as number;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freeing + WINDOW_MS - now) / 1000)) };
    }
    hits.push(now);
    return { ok: true };
  }

  clear(): void {
    this.#hits.clear();
  }
}
