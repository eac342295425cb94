import type { CrossmintError, CrossmintPort } from '@kyc-handoff/core';
import type { ResultAsync } from 'neverthrow';
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
    private readonly target: string | undefined,
  ) {}

  observe(error: CrossmintError | undefined): void {
    if (error === undefined || error.kind !== 'transient' || error.noAnswer === undefined) {
      // Any answer, even an error status, means the endpoint is there.
      if (this.warned) this.logger.warn(`Crossmint answers again${this.target ? ` at ${this.target}` : ''}`);
      this.silentSince = undefined;
      this.warned = false;
      return;
    }
    const now = this.clock.now();
    this.silentSince ??= now;
    if (!this.warned && now - this.silentSince >= NO_ANSWER_WARNING_MS) {
      this.warned = true;
      this.logger.warn(
        `no answer from ${this.target ?? 'Crossmint'}: ${error.noAnswer}; still retrying (check the base URL and the network)`,
      );
    }
  }
}

type Method = keyof CrossmintPort & string;
const METHODS = [
  'recordLegalDocument',
  'upsertUser',
  'getUser',
  'triggerVerification',
  'getVerification',
  'uploadDocument',
  'getDocument',
] as const satisfies readonly Method[];

/** `port` with every call's outcome shown to `watch`. */
export function watchedPort(port: CrossmintPort, watch: ConnectivityWatch): CrossmintPort {
  const watched = { ...port } as CrossmintPort;
  for (const method of METHODS) {
    const call = port[method].bind(port) as (...args: unknown[]) => ResultAsync<unknown, CrossmintError>;
    (watched as unknown as Record<Method, unknown>)[method] = (...args: unknown[]) =>
      call(...args)
        .map((value) => {
          watch.observe(undefined);
          return value;
        })
        .mapErr((error) => {
          watch.observe(error);
          return error;
        });
  }
  return watched;
}
