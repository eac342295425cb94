/** Time as the engine sees it: injected, so tests run minutes of backoff and rate limits instantly. */
export interface Clock {
  now(): number;
  /** Resolves after `ms` (or at once when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

interface Sleeper {
  at: number;
  resolve: () => void;
}

/**
 * A clock that jumps straight to the next sleeper's wake time whenever nothing else is going on
 * (`isBusy()` false, e.g. no HTTP call in flight). Share it with the sandbox so both sides agree on
 * time; a run of several virtual minutes then takes milliseconds.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly sleepers = new Set<Sleeper>();
  private pumping = false;
  isBusy: () => boolean = () => false;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += Math.max(0, ms);
    this.wakeDue();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          this.sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.resolve);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.resolve, { once: true });
      this.pump();
    });
  }

  private wakeDue(): void {
    for (const s of [...this.sleepers]) if (s.at <= this.current) s.resolve();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const step = () => {
      if (this.sleepers.size === 0) {
        this.pumping = false;
        return;
      }
      if (!this.isBusy()) {
        const next = Math.min(...[...this.sleepers].map((s) => s.at));
        if (next > this.current) this.current = next;
        this.wakeDue();
      }
      // A real macrotask between steps lets I/O and other promise chains run before time moves on:
      // a timer while a call is in flight, else setImmediate (after the poll phase, so I/O that has
      // arrived is handled first) rather than a timer's 1 ms floor, which made an hour of virtual
      // time with thousands of steps last tens of real seconds.
      if (this.isBusy()) setTimeout(step, 1);
      else setImmediate(step);
    };
    setTimeout(step, 0);
  }
}
