// The public surface of @kyc-handoff/console, name by name.

// Metrics (createMetrics and its types) are written in metrics*.ts.
export {
  createMetrics,
  DEFAULT_LATENCY_BUCKETS,
  type Metrics,
  MetricsAttachError,
  type MetricsOptions,
  type MetricsTarget,
} from './metrics.js';
export type { CallInfo } from './metrics-route.js';
export { CollectTimeoutError, type ScrapeSource } from './metrics-scrape.js';
export {
  CONSOLE_DEFAULTS,
  type ConsoleMetrics,
  type ConsoleOptions,
  checkPort,
  type StartConsoleOptions,
} from './options.js';
export { type Console, createConsole } from './server.js';
export { type RunningConsole, startConsole } from './start.js';
