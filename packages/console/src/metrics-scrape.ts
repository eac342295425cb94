import type { OutboxStats } from '@kyc-handoff/core';
import type { Handoff, HandoffStats } from '@kyc-handoff/engine';

/** What one scrape reads from the store; a part that could not be read is absent. */
export interface ScrapeView {
  stats?: HandoffStats | undefined;
  outbox?: OutboxStats | undefined;
}

/** The sources a scrape reads, as the `source` label of the collect-errors counter names them. */
export type ScrapeSource = 'states' | 'outbox';

/** A store read a scrape gave up on: it took longer than the scrape's budget. */
export class CollectTimeoutError extends Error {
  override readonly name = 'CollectTimeoutError';
}

export interface ScrapeReaderOptions {
  timeoutMs: number;
  /** Called once per source that failed, after which the scrape goes on without it. */
  onError(source: ScrapeSource, error: Error): void;
}

/**
 * Reads the store once per scrape, however many metrics need it: prom-client calls every metric's
 * collect at once, and they all await the same read. Two store queries a scrape (one count by state
 * through `stats()`, one by outbox status), both served by indexes, so a 10^6-row store is cheap to
 * watch. A read that fails or outlasts the timeout leaves its metrics out of that scrape only.
 */
export function scrapeReader(
  handoff: () => Handoff | undefined,
  options: ScrapeReaderOptions,
): () => Promise<ScrapeView> {
  let inFlight: Promise<ScrapeView> | undefined;

  async function guarded<T>(source: ScrapeSource, read: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CollectTimeoutError(`reading ${source} took over ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([read(), timeout]);
    } catch (error) {
      options.onError(source, error instanceof Error ? error : new Error(String(error)));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async function read(): Promise<ScrapeView> {
    const target = handoff();
    if (target === undefined) return {};
    const [stats, outbox] = await Promise.all([
      guarded('states', () => target.stats()),
      guarded('outbox', () => target.outbox.stats()),
    ]);
    return { stats, outbox };
  }

  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
