export interface Clock {
  now(): number;
}

/**
 * The sandbox's notion of time: a base clock plus an offset that tests and operators push forward,
 * so rate windows and verifyAfterMs can be crossed without sleeping.
 */
export class SandboxClock implements Clock {
  #offset = 0;
  readonly #base: Clock;

  constructor(base: Clock = Date) {
    this.#base = base;
  }

  now(): number {
    return this.#base.now() + this.#offset;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('clock can only advance by a finite ms >= 0');
    this.#offset += ms;
    return this.now();
  }
}
