import pg from 'pg';
import { quoteIdent } from './identifiers.js';

export interface WakeListenerOptions {
  /** Connection settings for the dedicated LISTEN connection (never taken from the pool). */
  clientConfig: pg.ClientConfig;
  channel: string;
  onWake: () => void;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
}

/**
 * Listens on `channel` on a connection of its own and calls `onWake` for each notification. If the
 * connection is lost it reconnects with exponential backoff and then calls `onWake` once, since
 * notifications sent while it was away are lost. Resolves once the first LISTEN is active (so a
 * NOTIFY sent afterwards is seen); rejects if that first connection fails. The returned function
 * stops listening and closes the connection.
 */
export async function listenForWakeups(options: WakeListenerOptions): Promise<() => Promise<void>> {
  const minBackoff = options.minBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let stopped = false;
  let current: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  const connect = async (): Promise<void> => {
    const client = new pg.Client(options.clientConfig);
    // 'error' is followed by 'end'; reconnecting is driven from 'end'. Without a listener an
    // 'error' event would crash the process.
    client.on('error', () => undefined);
    client.on('notification', (message) => {
      if (message.channel === options.channel && !stopped) options.onWake();
    });
    client.on('end', () => {
      if (current !== client) return;
      current = undefined;
      if (!stopped) scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(options.channel)}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    current = client;
  };

  const scheduleReconnect = () => {
    const delay = Math.min(maxBackoff, minBackoff * 2 ** failures);
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(
        () => {
          failures = 0;
          if (!stopped) options.onWake();
        },
        () => {
          failures += 1;
          if (!stopped) scheduleReconnect();
        },
      );
    }, delay);
    timer.unref();
  };

  await connect();

  return async () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    const client = current;
    current = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
  };
}
