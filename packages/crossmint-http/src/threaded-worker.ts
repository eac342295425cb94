// The thread behind createThreadedCrossmintClient: one ordinary client, its calls and answers
// carried as batches of messages.
import { parentPort, workerData } from 'node:worker_threads';
import type { CrossmintError } from '@kyc-handoff/core';
import { err, ResultAsync } from 'neverthrow';
import { createCrossmintClient } from './client.js';
import type { DebugInfo } from './config.js';
import {
  Batcher,
  type FromWorker,
  type Method,
  type ThreadedWorkerData,
  type ToWorker,
} from './threaded-protocol.js';

const port = parentPort;
if (port === null) throw new Error('threaded-worker runs only as a worker thread');
const data = workerData as ThreadedWorkerData;

const outgoing = new Batcher<FromWorker>((batch) => port.postMessage(batch));
const send = (message: FromWorker) => outgoing.send(message);

const client = createCrossmintClient(data.target, {
  ...data.options,
  ...(data.debug && { debug: (info: DebugInfo) => send(['debug', info]) }),
});

/** One controller per caller signal with calls in flight; dropped when its last call ends. */
const signals = new Map<number, { controller: AbortController; calls: number }>();

function signalFor(signalId: number, aborted: boolean): AbortSignal | undefined {
  if (signalId === 0) return undefined;
  let entry = signals.get(signalId);
  if (entry === undefined) {
    entry = { controller: new AbortController(), calls: 0 };
    signals.set(signalId, entry);
  }
  if (aborted) entry.controller.abort();
  entry.calls++;
  return entry.controller.signal;
}

function release(signalId: number): void {
  const entry = signals.get(signalId);
  if (entry !== undefined && --entry.calls === 0) signals.delete(signalId);
}

let callsInFlight = 0;
let closeAsked = false;

function call(id: number, method: Method, args: unknown[], signalId: number, aborted: boolean): void {
  const signal = signalFor(signalId, aborted);
  const invoke = client[method] as (...a: unknown[]) => ResultAsync<unknown, CrossmintError>;
  callsInFlight++;
  let answer: ResultAsync<unknown, CrossmintError>;
  try {
    answer = invoke(...args, { signal });
  } catch {
    // A call the client throws on (arguments of the wrong type) fails alone, not the whole thread.
    const message = `${method}: its arguments are not what the client takes; nothing was sent.`;
    answer = new ResultAsync(
      Promise.resolve(err<unknown, CrossmintError>({ kind: 'unexpected-response', message })),
    );
  }
  void answer.then((result) => {
    release(signalId);
    send(result.isOk() ? ['ok', id, result.value] : ['err', id, result.error]);
    callsInFlight--;
    if (closeAsked) closeWhenIdle();
  });
}

/** Like the client's close: once the calls in flight are answered, and after their answers. */
function closeWhenIdle(): void {
  if (callsInFlight > 0) return;
  void client.close().then(() => send(['closed']));
}

port.on('message', (batch: ToWorker[]) => {
  for (const message of batch) {
    switch (message[0]) {
      case 'call':
        call(message[1], message[2], message[3], message[4], message[5]);
        break;
      case 'abort':
        signals.get(message[1])?.controller.abort();
        break;
      case 'close':
        if (!closeAsked) {
          closeAsked = true;
          closeWhenIdle();
        }
        break;
    }
  }
});
