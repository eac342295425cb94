import { setMaxListeners } from 'node:events';
import type { ClaimedOutboxEvent, OnboardingStore, OutboxEvent } from '@kyc-handoff/core';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { WakeSignal } from './wake-signal.js';

/** Delivers one event; resolving means delivered. `signal` aborts at the delivery timeout or a stop. */
export type DeliveryHandler = (
  event: OutboxEvent,
  context: { signal: AbortSignal; attempt: number },
) => Promise<void>;

export interface DeliveryOptions {
  /** Events being delivered at once (default 4): apart from the Crossmint calls' own concurrency. */
  concurrency?: number | undefined;
  /** Longest a delivery may take before it counts as failed (default 10 s). */
  timeoutMs?: number | undefined;
  /** First wait before a retry (default 10 s); it doubles with each attempt, with jitter. */
  retryBaseMs?: number | undefined;
  /** No wait between retries is longer (default 1 h). */
  retryMaxMs?: number | undefined;
  /** An event still undelivered this long after it was created is given up as failed (default 3 days). */
  giveUpAfterMs?: number | undefined;
  /** How long a claim on an event lasts (default 60 s; longer than timeoutMs). */
  leaseMs?: number | undefined;
  /** How often an idle deliverer looks for events written by another process (default 5 s). */
  idleSweepMs?: number | undefined;
}

export const DELIVERY_DEFAULTS = {
  concurrency: 4,
  timeoutMs: 10_000,
  retryBaseMs: 10_000,
  retryMaxMs: 3_600_000,
  giveUpAfterMs: 3 * 24 * 3_600_000,
  leaseMs: 60_000,
  idleSweepMs: 5_000,
} as const;

type Resolved = { -readonly [K in keyof typeof DELIVERY_DEFAULTS]: number };

function resolve(options: DeliveryOptions): Resolved {
  const out = { ...DELIVERY_DEFAULTS } as Resolved;
  for (const key of Object.keys(DELIVERY_DEFAULTS) as (keyof Resolved)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
      throw new RangeError(
        `delivery option ${key} must be a whole number from 1 to 2147483647, not ${String(value)}`,
      );
    }
    out[key] = value;
  }
  if (out.leaseMs <= out.timeoutMs)
    throw new RangeError('delivery option leaseMs must be longer than timeoutMs');
  return out;
}

/** A deliverer running: stop it, or wait until nothing due is left. */
export interface Delivery {
  /** Stops claiming, lets deliveries in flight finish (aborted after `graceMs`), and resolves. */
  stop(options?: { graceMs?: number | undefined }): Promise<void>;
  /** Resolves true once no event is pending (none due, leased or retrying), or false after `timeoutMs`. */
  drain(options?: { timeoutMs?: number | undefined }): Promise<boolean>;
  /** Something may have been written to the outbox: look now. */
  wake(): void;
}

/**
 * Delivers the outbox: at least once, in order per user (the store hands out only a user's lowest
 * pending event), never one event by two deliverers at once (claims are leased), retried with
 * exponential backoff and jitter for up to three days. It runs apart from the Crossmint work, with
 * its own concurrency and timeout, so a slow receiver never holds back an onboarding.
 */
export function startDelivery(
  deps: { store: OnboardingStore; clock: Clock; logger: Logger; owner: string; random?: () => number },
  handler: DeliveryHandler,
  options: DeliveryOptions = {},
): Delivery {
  const settings = resolve(options);
  const { store, clock, logger } = deps;
  const random = deps.random ?? Math.random;
  const signal = new WakeSignal();
  const inFlight = new Map<string, Promise<void>>();
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  let stopping = false;
  let idleWaiters: (() => void)[] = [];
  let failures = 0;

  const retryDelay = (attempts: number) => {
    const exp = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(attempts, 30));
    // Equal jitter: half fixed, half random, so receivers coming back are not hit all at once.
    return Math.round(exp / 2 + (exp / 2) * random());
  };

  async function deliverOne(event: ClaimedOutboxEvent): Promise<void> {
    const timeout = new AbortController();
    const onStop = () => timeout.abort(new Error('stopped'));
    abort.signal.addEventListener('abort', onStop, { once: true });
    // On the injected clock, as every other wait here: a test's VirtualClock times deliveries out too.
    const settled = new AbortController();
    void clock.sleep(settings.timeoutMs, settled.signal).then(() => {
      if (!settled.signal.aborted) timeout.abort(new Error('timed out'));
    });
    try {
      await handler(event, { signal: timeout.signal, attempt: event.attempts + 1 });
      await store.settleOutbox([{ id: event.id, delivered: true, now: clock.now() }]);
      if (failures > 0) logger.info('outbox deliveries succeed again', { id: event.id });
      failures = 0;
    } catch (error) {
      const now = clock.now();
      const reason = timeout.signal.aborted
        ? `${(timeout.signal.reason as Error | undefined)?.message ?? 'aborted'} after ${settings.timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
      const giveUp = now - event.createdAt >= settings.giveUpAfterMs;
      await store.settleOutbox([
        {
          id: event.id,
          delivered: false,
          retryAt: giveUp ? null : now + retryDelay(event.attempts),
          error: reason.slice(0, 300),
          now,
        },
      ]);
      failures++;
      const fields = { id: event.id, userId: event.userId, attempt: event.attempts + 1, error: reason };
      if (giveUp)
        logger.error(
          'outbox event given up after retrying for its whole window; replay it once the receiver works',
          fields,
        );
      else if (failures === 1) logger.warn('outbox delivery failed; retrying with backoff', fields);
      else logger.debug('outbox delivery failed; retrying with backoff', fields);
    } finally {
      settled.abort();
      abort.signal.removeEventListener('abort', onStop);
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        const free = settings.concurrency - inFlight.size;
        let claimed = 0;
        if (free > 0) {
          const events = await store.claimOutbox({
            now: clock.now(),
            limit: free,
            owner: deps.owner,
            leaseMs: settings.leaseMs,
          });
          for (const event of events) {
            if (inFlight.has(event.id)) continue;
            claimed++;
            const task = deliverOne(event)
              .catch((error: unknown) =>
                logger.warn('could not record an outbox delivery; it is retried when its lease expires', {
                  id: event.id,
                  error: (error as Error).message,
                }),
              )
              .finally(() => {
                inFlight.delete(event.id);
                signal.notify();
              });
            inFlight.set(event.id, task);
          }
        }
        if (claimed > 0 && inFlight.size < settings.concurrency) continue;
        if (inFlight.size === 0) {
          const next = await store.nextOutboxAt();
          // Drained: nothing pending at all, not even an event another deliverer holds.
          if (next === null) {
            for (const resolve of idleWaiters) resolve();
            idleWaiters = [];
          }
          const wait =
            next === null
              ? settings.idleSweepMs
              : Math.min(settings.idleSweepMs, Math.max(1, next - clock.now()));
          await waitForWork(wait);
        } else {
          await waitForWork(settings.idleSweepMs);
        }
      } catch (error) {
        logger.warn('store unavailable for outbox deliveries; retrying', { error: (error as Error).message });
        await clock.sleep(1_000);
      }
    }
  }

  async function waitForWork(ms: number): Promise<void> {
    const cancel = new AbortController();
    await Promise.race([signal.wait(), clock.sleep(ms, cancel.signal)]);
    cancel.abort();
  }

  const running = loop();

  return {
    wake: () => signal.notify(),
    async stop(stopOptions = {}) {
      stopping = true;
      signal.notify();
      const timer = setTimeout(() => abort.abort(), stopOptions.graceMs ?? 10_000);
      try {
        await running;
        await Promise.allSettled([...inFlight.values()]);
      } finally {
        clearTimeout(timer);
        for (const resolve of idleWaiters) resolve();
        idleWaiters = [];
      }
    },
    async drain(drainOptions = {}) {
      signal.notify();
      const cancel = new AbortController();
      const idle = new Promise<boolean>((resolve) => idleWaiters.push(() => resolve(true)));
      const timedOut = clock.sleep(drainOptions.timeoutMs ?? 30_000, cancel.signal).then(() => false);
      try {
        return await Promise.race([idle, timedOut]);
      } finally {
        cancel.abort();
      }
    },
  };
}
