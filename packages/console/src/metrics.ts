import { LANES, TOP_LEVEL_STATES } from '@kyc-handoff/core';
import type { Handoff } from '@kyc-handoff/engine';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { registerActivityMetrics } from './metrics-activity.js';
import { budgetOf, type CallInfo, routeOf, statusOf } from './metrics-route.js';
import { type ScrapeSource, scrapeReader } from './metrics-scrape.js';
import { registerStoreMetrics } from './metrics-store.js';

/** Seconds: Crossmint answers in tens of milliseconds; the client's deadlines reach 30 s. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
const DEFAULT_COLLECT_TIMEOUT_MS = 5_000;

export interface MetricsOptions {
  /** The time ages are measured from (epoch ms); default `Date.now`. Tests pass their clock's. */
  now?: (() => number) | undefined;
  /** A scrape gives up on a store read after this long and answers without it (default 5000). */
  collectTimeoutMs?: number | undefined;
  /** Called when a scrape could not read the store (the scrape still answers, without that part). */
  onCollectError?: ((source: ScrapeSource, error: Error) => void) | undefined;
  /** Bucket bounds of the Crossmint latency histogram, in seconds. */
  latencyBuckets?: readonly number[] | undefined;
  /**
   * prom-client's process and Node.js metrics too (CPU, resident memory, heap, event-loop lag,
   * open handles): what shows a run of weeks slowing down or growing (default true).
   */
  processMetrics?: boolean | undefined;
}

/** What the metrics read at scrape time: the handoff's stats, outbox stats and activity. */
export interface MetricsTarget {
  handoff: Handoff;
}

/** Prometheus metrics of one handoff, in a registry of their own. */
export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s text (the Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** Every metric in the Prometheus text format; reads the store once. Never rejects for a store failure. */
  render(): Promise<string>;
  /**
   * Counts one Crossmint call: pass it as the HTTP client's `debug` hook, which can be built before
   * the handoff exists. Never throws.
   */
  observeCall(info: CallInfo): void;
  /** Starts reading `target` at scrape time and counting its transitions. Once per Metrics. */
  attach(target: MetricsTarget): void;
  /** Stops counting transitions and reading the handoff (a later scrape leaves them out); idempotent. */
  close(): void;
}

/** Attaching a second handoff, or attaching after close: a programmer error. */
export class MetricsAttachError extends Error {
  override readonly name = 'MetricsAttachError';
}

/**
 * Metrics of a handoff: onboardings by state, transitions, Crossmint calls, budgets, pacing and the
 * outbox (docs/metrics.md lists them). Its own registry, never prom-client's global one, so two
 * handoffs in one process do not clash. Every label is a closed set (states, events, route
 * templates, statuses, budgets): never a user id, a locator or anything from a record.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  let target: MetricsTarget | undefined;
  let unsubscribe: (() => void) | undefined;
  let closed = false;

  const collectErrors = new Counter({
    name: 'kyc_handoff_metrics_collect_errors_total',
    help: 'Scrapes that could not read a source from the store (that part of the scrape was left out), by source',
    labelNames: ['source'],
    registers,
    // Awaits the same read as the other metrics, so a failure shows in the very scrape that met it.
    collect: async () => {
      await scrape();
    },
  });
  for (const source of ['states', 'outbox'] satisfies ScrapeSource[]) collectErrors.inc({ source }, 0);
  const scrape = scrapeReader(() => target?.handoff, {
    timeoutMs: options.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS,
    onError(source, error) {
      collectErrors.inc({ source });
      options.onCollectError?.(source, error);
    },
  });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  registerStoreMetrics(registry, scrape, options.now ?? Date.now);
  registerActivityMetrics(registry, () => target?.handoff.activity());

  const transitions = new Counter({
    name: 'kyc_handoff_transitions_total',
    help: 'Transitions of onboardings committed by this process, by event and the top-level state they led to',
    labelNames: ['event', 'to'],
    registers,
  });
  const requests = new Counter({
    name: 'kyc_handoff_crossmint_requests_total',
    help: 'Crossmint calls by route template and HTTP status (or the error kind of a call that got no answer)',
    labelNames: ['route', 'status'],
    registers,
  });
  const duration = new Histogram({
    name: 'kyc_handoff_crossmint_request_duration_seconds',
    help: 'Duration of Crossmint calls by route template, the one transport-level retry included',
    labelNames: ['route'],
    buckets: [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)],
    registers,
  });
  const rateLimited = new Counter({
    name: 'kyc_handoff_crossmint_rate_limited_total',
    help: 'Crossmint calls answered 429 (rate limited), by the budget they spent',
    labelNames: ['budget'],
    registers,
  });
  // Present at 0 from the start: an alert on increase() needs the series before the first 429.
  for (const budget of LANES) rateLimited.inc({ budget }, 0);

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeCall(info) {
      if (closed) return;
      try {
        const route = routeOf(info.method, info.path);
        requests.inc({ route, status: statusOf(info) });
        if (Number.isFinite(info.durationMs) && info.durationMs >= 0) {
          duration.observe({ route }, info.durationMs / 1000);
        }
        if (info.status === 429) rateLimited.inc({ budget: budgetOf(info.method) });
      } catch {
        // Metrics must never change the outcome of a call.
      }
    },
    attach(next) {
      if (closed) throw new MetricsAttachError('these metrics are closed: create new ones');
      if (target !== undefined) {
        throw new MetricsAttachError('these metrics already watch a handoff: create one Metrics per handoff');
      }
      target = next;
      unsubscribe = next.handoff.subscribe((notice) => {
        transitions.inc({ event: eventLabel(notice.event), to: topLevelLabel(notice.to) });
      });
    },
    close() {
      closed = true;
      unsubscribe?.();
      unsubscribe = undefined;
      // A scrape after close must not touch a store that is being closed.
      target = undefined;
    },
  };
}

/** Event types are the machine's SCREAMING_SNAKE names (and QUARANTINED); anything else is `other`. */
function eventLabel(event: string): string {
  return /^[A-Z][A-Z_]{0,39}$/.test(event) ? event : 'other';
}

/** `verificationPending.checking` → `verificationPending`; a path of no known state is `other`. */
function topLevelLabel(path: string): string {
  const top = path.split('.')[0] ?? '';
  return (TOP_LEVEL_STATES as readonly string[]).includes(top) ? top : 'other';
}
