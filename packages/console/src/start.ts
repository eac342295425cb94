import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { CONSOLE_DEFAULTS, checkPort, type StartConsoleOptions } from './options.js';
import { createConsoleWith } from './server.js';

export interface RunningConsole {
  /** The address to open, with `?token=` (like Jupyter's) so one click unlocks the actions. */
  url: string;
  token: string;
  /** The bound port (the one chosen when 0 was asked for). */
  port: number;
  /** Stops listening and drops open connections (htmx keeps some alive). */
  close(): Promise<void>;
}

/** `[::1]` for an IPv6 address in a URL or Host header, the name or IPv4 address as it is. */
const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * Serves the console on `host:port` (127.0.0.1:4300 by default: only this machine can connect) and
 * resolves once the counts its pages show have been read once (at most CONSOLE_DEFAULTS.firstCountsMs).
 * Rejects with a message naming the address when it cannot listen (the port is taken, the address
 * is not this machine's).
 */
export async function startConsole(options: StartConsoleOptions): Promise<RunningConsole> {
  const host = options.host ?? CONSOLE_DEFAULTS.host;
  const requested = checkPort(options.port ?? CONSOLE_DEFAULTS.port);
  let bound = requested;
  // Only the bound address and localhost with the bound port may be named by the Host header.
  const { app, token, ready } = createConsoleWith(options, () => [
    `${urlHost(host)}:${bound}`,
    `localhost:${bound}`,
  ]);
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${urlHost(host)}:${requested}`;
      const hint =
        error.code === 'EADDRINUSE'
          ? 'the port is in use: choose another port (0 picks a free one)'
          : error.code === 'EADDRNOTAVAIL'
            ? "this address is not one of this machine's: bind 127.0.0.1 or one of its own addresses"
            : error.code === 'EACCES'
              ? 'not allowed to listen there: use a port above 1023'
              : error.message;
      reject(new Error(`the console cannot listen on ${where}: ${hint}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(requested, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  bound = (server.address() as AddressInfo).port;
  // Listening first, so a taken port is said at once; announced once the first counts are in, so the
  // operator's first page does not wait for a million rows to be counted.
  await ready(CONSOLE_DEFAULTS.firstCountsMs);
  const url = `http://${urlHost(host)}:${bound}/?token=${token}`;
  return {
    url,
    token,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
