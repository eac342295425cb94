import type { OutboxStats, TransitionCount } from '@kyc-handoff/core';
import type { Handoff, HandoffStats } from '@kyc-handoff/engine';

/** The shortest time a reading is reused for, however cheap it was. */
const MIN_FRESH_MS = 2_000;
/** A reading that took d ms is reused for at least this many times d: the store never spends more than a tenth of its time on the console. */
const COST_FACTOR = 10;

/**
 * One aggregate the console shows (counts by state, errors by kind, …), read stale-while-revalidate:
 * a page gets the latest value at once and, when it is older than its freshness window, starts one
 * refresh in the background for the next page. On a store of a million onboardings a count takes
 * hundreds of milliseconds (PostgreSQL: 0.3–0.7 s); every open tab refreshing every 2 s would keep
 * the store busy counting and make each page wait. Only the first read of a console waits.
 */
export class Reading<T> {
  #value: { value: T; at: number } | undefined;
  #refreshing: Promise<T> | undefined;
  #lastMs = 0;
  #stale = false;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async get(): Promise<T> {
    const held = this.#value;
    if (held === undefined) return this.#refresh();
    const freshFor = Math.max(MIN_FRESH_MS, COST_FACTOR * this.#lastMs);
    if (this.#stale || this.clock() - held.at > freshFor) {
      // The page shows what is known; a failed refresh leaves it and is tried again next time.
      this.#refresh().catch(() => {});
    }
    return held.value;
  }

  /** After an action: the next page starts a refresh (and still answers at once). */
  invalidate(): void {
    this.#stale = true;
  }

  #refresh(): Promise<T> {
    this.#refreshing ??= (async () => {
      const started = this.clock();
      this.#stale = false;
      try {
        const value = await this.read();
        this.#value = { value, at: this.clock() };
        return value;
      } finally {
        this.#lastMs = this.clock() - started;
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
}

export type Breakdown = Awaited<ReturnType<Handoff['breakdown']>>;

/** Every aggregate the pages show, each a Reading; rows of a queue and a user's page are read live. */
export interface Readings {
  stats: Reading<HandoffStats>;
  breakdown: Reading<Breakdown>;
  outbox: Reading<OutboxStats>;
  transitions: Reading<TransitionCount[]>;
  invalidate(): void;
  /** Starts the first read of each, so that even the first page rarely waits. */
  warm(): void;
  /** Resolves once each has been read once (or failed), or after `timeoutMs`, whichever is first. */
  ready(timeoutMs: number): Promise<void>;
}

export interface ReadingsOptions {
  /** Monotonic milliseconds for the freshness of readings (default performance.now). */
  clock?: (() => number) | undefined;
  /** Called with each counts reading as it arrives (the throughput samples). */
  onStats?: ((stats: HandoffStats) => void) | undefined;
}

export function createReadings(
  handoff: Handoff,
  store: { countsByTransition(): Promise<TransitionCount[]> },
  options: ReadingsOptions = {},
): Readings {
  const { clock, onStats } = options;
  const all = {
    stats: new Reading(async () => {
      const stats = await handoff.stats();
      onStats?.(stats);
      return stats;
    }, clock),
    breakdown: new Reading(() => handoff.breakdown(), clock),
    outbox: new Reading(() => handoff.outbox.stats(), clock),
    transitions: new Reading(() => store.countsByTransition(), clock),
  };
  return {
    ...all,
    invalidate() {
      for (const reading of Object.values(all)) reading.invalidate();
    },
    warm() {
      for (const reading of Object.values(all)) reading.get().catch(() => {});
    },
    async ready(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const read = Promise.allSettled(Object.values(all).map((reading) => reading.get()));
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([read, late]);
      clearTimeout(timer);
    },
  };
}
