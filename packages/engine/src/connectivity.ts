import type { CrossmintError, CrossmintPort } from '@kyc-handoff/core';
import { type Result, ResultAsync } from 'neverthrow';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

/** How long calls may find no answer at all before the engine says so without --debug. */
export const NO_ANSWER_WARNING_MS = 30_000;

/**
 * Watches whether Crossmint answers at all. An unreachable base URL (a refused connection, a host
 * that does not resolve, timeouts) only ever looks like a transient error that the machine retries
 * with backoff; after NO_ANSWER_WARNING_MS of nothing but such failures it is said once, at warn.
 */
export class ConnectivityWatch {
  private silentSince: number | undefined;
  private warned = false;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Where the calls go, read only when there is something to say. */
    private readonly target: () => string | undefined,
  ) {}

  observe(error: CrossmintError | undefined): void {
    if (error === undefined || error.kind !== 'transient' || error.noAnswer === undefined) {
      // Any answer, even an error status, means the endpoint is there.
      if (this.warned) {
        const target = this.target();
        this.logger.warn(`Crossmint answers again${target ? ` at ${target}` : ''}`);
      }
      this.silentSince = undefined;
      this.warned = false;
      return;
    }
    const now = this.clock.now();
    this.silentSince ??= now;
    if (!this.warned && now - this.silentSince >= NO_ANSWER_WARNING_MS) {
      this.warned = true;
      this.logger.warn(
        `no answer from ${this.target() ?? 'Crossmint'}: ${error.noAnswer}; still retrying (check the base URL and the network)`,
      );
    }
  }
}

type Call = (...args: unknown[]) => ResultAsync<unknown, CrossmintError>;

/** `port` with every call's outcome shown to `watch`. Reads nothing of `port` until a call is made. */
export function watchedPort(port: CrossmintPort, watch: ConnectivityWatch): CrossmintPort {
  const watched =
    (method: Exclude<keyof CrossmintPort, 'baseUrl'>): Call =>
    (...args) => {
      // One `then` on the call's own promise: map() and mapErr() would add two async layers to every
      // call, which the throughput bench measured at 3 µs a call and more garbage.
      const pending = (port[method] as Call).apply(port, args);
      // ResultAsync's then() is its inner promise's: a real Promise, typed only as PromiseLike.
      const observed = pending.then((result) => {
        watch.observe(result.isErr() ? result.error : undefined);
        return result;
      }) as Promise<Result<unknown, CrossmintError>>;
      return new ResultAsync(observed);
    };
  return {
    recordLegalDocument: watched('recordLegalDocument'),
    upsertUser: watched('upsertUser'),
    getUser: watched('getUser'),
    triggerVerification: watched('triggerVerification'),
    getVerification: watched('getVerification'),
    uploadDocument: watched('uploadDocument'),
    getDocument: watched('getDocument'),
  } as CrossmintPort;
}
