export { type Outcome, SandboxApp, type SandboxRequest } from './app.js';
export { type Clock, SandboxClock } from './clock.js';
export { FAULT_HEADER, FAULT_KINDS, type FaultKind } from './faults.js';
export {
  configRuleBroken,
  DEFAULT_CONFIG,
  MAX_CLOCK_STEP_MS,
  MAX_TIMER_MS,
  type SandboxConfig,
  type SandboxOptions,
} from './options.js';
export type { Reply } from './reply.js';
export { createSandbox, type ListenOptions, type Sandbox } from './server.js';
export type { StoredLegalDocument, UserView, WriteEndpoint } from './state.js';
export type { RouteStats, SandboxStats } from './stats.js';

import { SandboxApp } from './app.js';
import type { SandboxOptions } from './options.js';

/** The sandbox without a server: `handle(request)` returns what to answer (or which fault to play). */
export function createSandboxApp(options: SandboxOptions = {}): SandboxApp {
  return new SandboxApp(options);
}
