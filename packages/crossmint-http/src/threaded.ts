import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CallOptions, CrossmintError } from '@kyc-handoff/core';
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { CrossmintClient } from './client.js';
import { type ClientOptions, type ClientTarget, resolveConfig } from './config.js';
import {
  Batcher,
  type FromWorker,
  type Method,
  type ThreadedWorkerData,
  type ToWorker,
} from './threaded-protocol.js';

/**
 * Run from source (the tests), the worker is TypeScript: it registers tsx in its own thread first,
 * as loader hooks and `--import` do not reach a worker in Node 20.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './threaded-worker.ts' : './threaded-worker.js', import.meta.url);

function newWorker(data: ThreadedWorkerData): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, { workerData: data });
  // The ESM build of tsx's API: its CommonJS one cannot resolve its own files from an eval'd worker.
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  );
  const boot = `import(${JSON.stringify(tsxApi.href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

type Answer = Result<unknown, CrossmintError>;

/** What the worker needs of a call, kept until its answer comes back. */
interface InFlight {
  method: Method;
  resolve(answer: Answer): void;
}

/**
 * The Crossmint client with its HTTP work (sockets, parsing, checking answers) on a worker thread;
 * the same calls, answers and errors as `createCrossmintClient`. The engine runs on one thread and
 * that thread bounds its throughput: this moves a quarter to a third of its busy time per user off
 * it. Calls and answers cross in batches, one message each way per turn of the event loop. A worker
 * that dies answers its calls in flight as transient errors (they were sent or not: the engine
 * repeats them, and a repeated call sends the same bytes), and the next call starts a new one.
 */
export function createThreadedCrossmintClient(target: ClientTarget, options: ClientOptions): CrossmintClient {
  const config = resolveConfig(target, options);
  const { debug, ...cloneable } = options;
  const data: ThreadedWorkerData = { target, options: cloneable, debug: debug !== undefined };
  const inFlight = new Map<number, InFlight>();
  const signalIds = new WeakMap<AbortSignal, number>();
  let worker: Worker | undefined;
  let nextCallId = 1;
  let nextSignalId = 1;
  const outgoing = new Batcher<ToWorker>(post);
  let closing: Promise<void> | undefined;
  let onClosed: (() => void) | undefined;

  function start(): Worker {
    const started = newWorker(data);
    started.unref();
    started.on('message', receive);
    // Never the error's text: a crash in the middle of a call could quote anything it held.
    started.on('error', () => lost(started, 'failed'));
    started.on('exit', (code) => lost(started, `exited with code ${code}`));
    return started;
  }

  function lost(which: Worker, how: string): void {
    if (worker !== which) return;
    worker = undefined;
    outgoing.clear();
    const calls = [...inFlight.values()];
    inFlight.clear();
    for (const call of calls) {
      call.resolve(
        err({
          kind: 'transient',
          message: `${call.method}: the client's HTTP thread ${how} before the answer came; retry later.`,
          noAnswer: 'EWORKER',
        }),
      );
    }
    onClosed?.();
  }

  function send(message: ToWorker): void {
    outgoing.send(message);
  }

  function post(batch: ToWorker[]): void {
    if (worker === undefined) return;
    try {
      worker.postMessage(batch);
    } catch {
      // One call whose arguments cannot be copied (a function, say) must not take the others down.
      for (const message of batch) postAlone(worker, message);
    }
  }

  function postAlone(to: Worker, message: ToWorker): void {
    try {
      to.postMessage([message]);
    } catch {
      if (message[0] !== 'call') return;
      const [, id, method] = message;
      answer(
        id,
        err({
          kind: 'unexpected-response',
          message: `${method}: its arguments are not plain data (JSON-like values only); nothing was sent.`,
        }),
      );
    }
  }

  function answer(id: number, result: Answer): void {
    const call = inFlight.get(id);
    if (call === undefined) return;
    inFlight.delete(id);
    if (inFlight.size === 0 && closing === undefined) worker?.unref();
    call.resolve(result);
  }

  function receive(batch: FromWorker[]): void {
    for (const message of batch) {
      switch (message[0]) {
        case 'ok':
        case 'err':
          answer(message[1], message[0] === 'ok' ? ok(message[2]) : err(message[2]));
          break;
        case 'debug':
          try {
            debug?.(message[1]);
          } catch {
            // A failing debug hook must not change the outcome of a call.
          }
          break;
        case 'closed':
          onClosed?.();
          break;
      }
    }
  }

  /** One id per caller signal, and one listener on it: the engine passes one signal to all its calls. */
  function signalIdOf(signal: AbortSignal | undefined): number {
    if (signal === undefined) return 0;
    let id = signalIds.get(signal);
    if (id === undefined) {
      const assigned = nextSignalId++;
      id = assigned;
      signalIds.set(signal, assigned);
      signal.addEventListener('abort', () => send(['abort', assigned]), { once: true });
    }
    return id;
  }

  function call<R>(
    method: Method,
    args: unknown[],
    options: CallOptions | undefined,
  ): ResultAsync<R, CrossmintError> {
    if (closing !== undefined) {
      const message = `${method}: the client is closed; open a new one.`;
      return new ResultAsync(
        Promise.resolve(err<R, CrossmintError>({ kind: 'transient', message, noAnswer: 'ECLOSED' })),
      );
    }
    worker ??= start();
    const id = nextCallId++;
    const signal = options?.signal;
    const answered = new Promise<Answer>((resolve) => inFlight.set(id, { method, resolve }));
    if (inFlight.size === 1) worker.ref();
    send(['call', id, method, args, signalIdOf(signal), signal?.aborted === true]);
    return new ResultAsync(answered) as ResultAsync<R, CrossmintError>;
  }

  async function close(): Promise<void> {
    const running = worker;
    if (running === undefined) return;
    running.ref();
    await new Promise<void>((resolve) => {
      onClosed = resolve;
      send(['close']);
    });
    // Its calls were all answered before it said closed; any left are answered by lost() on exit.
    await running.terminate();
    worker = undefined;
  }

  const client: CrossmintClient = {
    baseUrl: config.baseUrl,
    recordLegalDocument: (locator, body, options) => call('recordLegalDocument', [locator, body], options),
    upsertUser: (locator, body, options) => call('upsertUser', [locator, body], options),
    getUser: (locator, options) => call('getUser', [locator], options),
    triggerVerification: (locator, options) => call('triggerVerification', [locator], options),
    getVerification: (locator, options) => call('getVerification', [locator], options),
    uploadDocument: (body, options) => call('uploadDocument', [body], options),
    getDocument: (documentId, options) => call('getDocument', [documentId], options),
    close: () => {
      closing ??= close();
      return closing;
    },
  };
  workerOf.set(client, () => worker);
  return client;
}

/** The worker behind a threaded client, for tests that must see one die; not exported by the package. */
export const workerOf = new WeakMap<CrossmintClient, () => Worker | undefined>();
