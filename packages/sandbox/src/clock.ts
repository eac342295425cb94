import { clockStepProblem } from './options.js';

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

  /** Throws RangeError, moving nothing, for a step that is not a sane number of ms. */
  advance(ms: number): number {
    const problem = clockStepProblem(ms, this.now());
    if (problem !== undefined) throw new RangeError(problem);
    this.#offset += ms;
    return this.now();
  }
}
