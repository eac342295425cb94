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

/** Messages posted as one batch per turn of the event loop: one postMessage for many calls. */
export class Batcher<T> {
  private queued: T[] = [];
  private scheduled = false;

  constructor(private readonly post: (batch: T[]) => void) {}

  send(message: T): void {
    this.queued.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Drops what is queued: its receiver is gone. */
  clear(): void {
    this.queued = [];
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length > 0) this.post(batch);
  };
}
