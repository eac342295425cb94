import type { OnboardingStore } from '@kyc-handoff/core';
import type { Handoff } from '@kyc-handoff/engine';

/** What serves `GET /metrics`: the Prometheus text of a registry (createMetrics makes one). */
export interface ConsoleMetrics {
  render(): Promise<string>;
  contentType: string;
}

/** What the console shows and steers. */
export interface ConsoleOptions {
  store: OnboardingStore;
  /** The engine over `store`: a running one (import, worker) or one that only reads (`console`). */
  handoff: Handoff;
  /** The secret every action must carry (X-Console-Token); a random one when absent. */
  token?: string | undefined;
  /** Hide every action and refuse every POST with 403. */
  readOnly?: boolean | undefined;
  metrics?: ConsoleMetrics | undefined;
  /**
   * The Host header values (`host:port`) accepted, against DNS rebinding. By default any port of
   * localhost, 127.0.0.1 or [::1]; startConsole passes the bound address and localhost with its port.
   */
  allowedHosts?: readonly string[] | undefined;
  /** Epoch ms; injected by tests so that ages and the throughput chart are deterministic. */
  now?: (() => number) | undefined;
}

/** Options of startConsole: those of createConsole and where to listen. */
export interface StartConsoleOptions extends Omit<ConsoleOptions, 'allowedHosts'> {
  /** The address to bind (default 127.0.0.1: only this machine can connect). */
  host?: string | undefined;
  /** The port (default 4300; 0 picks a free one). */
  port?: number | undefined;
}

export const CONSOLE_DEFAULTS = {
  host: '127.0.0.1',
  port: 4300,
  /** How long startConsole waits for the first counts before it answers anyway. */
  firstCountsMs: 10_000,
} as const;

/** A port as the console takes it: a whole number from 0 to 65535; anything else is refused here. */
export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(
      `console port must be a whole number from 0 to 65535 (0 picks a free one), not ${String(port)}`,
    );
  }
  return port;
}
