import type { CrossmintError, CrossmintPort } from '@kyc-handoff/core';
import type { ClientOptions, ClientTarget, DebugInfo } from './config.js';

export type Method = Exclude<keyof CrossmintPort, 'baseUrl'>;

export interface ThreadedWorkerData {
  target: ClientTarget;
  options: Omit<ClientOptions, 'debug'>;
  debug: boolean;
}

/** `signalId` 0: the call has no signal. */
export type ToWorker =
  | ['call', id: number, method: Method, args: unknown[], signalId: number, aborted: boolean]
  | ['abort', signalId: number]
  | ['close'];

export type FromWorker =
  | ['ok', id: number, value: unknown]
  | ['err', id: number, error: CrossmintError]
  | ['debug', info: DebugInfo]
  | ['closed'];
