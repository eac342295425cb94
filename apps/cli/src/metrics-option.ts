import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics, type Metrics } from '@kyc-handoff/console';
import type { Handoff } from '@kyc-handoff/engine';
import { type Command, Option } from 'commander';
import { UserError } from './errors.js';
import { portNumber } from './port.js';

/** --metrics-port and --metrics-host (import, resume, worker). */
export interface MetricsFlags {
  metricsPort?: number;
  metricsHost?: string;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';

export function withMetricsOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--metrics-port <port>',
        'serve Prometheus metrics at http://HOST:PORT/metrics while the run lasts (0: any free port; the URL is printed to stderr)',
      ).argParser(portNumber),
    )
    .addOption(
      new Option(
        '--metrics-host <host>',
        'address the metrics server listens on (anything but loopback exposes it to the network: no personal data, but counts and rates)',
      ).default(DEFAULT_METRICS_HOST),
    );
}

/** What a session serves metrics with: made before the Crossmint client, whose calls it counts. */
export interface SessionMetrics {
  metrics: Metrics;
  /** Where to serve them; undefined when only the console (--console) serves them. */
  port: number | undefined;
  host: string;
}

/**
 * The metrics a session needs, or undefined without --metrics-port or --console. Made first so that the HTTP
 * client's debug hook can count calls; attached to the handoff once it exists (serveMetrics).
 */
export function sessionMetrics(
  flags: MetricsFlags & { console?: number | undefined },
  command: Command,
): SessionMetrics | undefined {
  if (flags.metricsPort === undefined && command.getOptionValueSource('metricsHost') === 'cli') {
    throw new UserError('--metrics-host needs --metrics-port PORT');
  }
  // The console (--console) serves /metrics too: the same object, so it counts the calls as well.
  if (flags.metricsPort === undefined && flags.console === undefined) return undefined;
  // Each source said once: a scrape every 15 s must not repeat the same line all night.
  const said = new Set<string>();
  const metrics = createMetrics({
    onCollectError(source, error) {
      if (said.has(source)) return;
      said.add(source);
      process.stderr.write(
        `warn: metrics: a scrape could not read ${source} from the store (${error.message}); it answers without them (said once)\n`,
      );
    },
  });
  return { metrics, port: flags.metricsPort, host: flags.metricsHost ?? DEFAULT_METRICS_HOST };
}

export interface MetricsServer {
  /** http://HOST:PORT/metrics, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (404 elsewhere) for the handoff and prints its URL to stderr. A port that
 * cannot be had is a UserError naming the flag.
 */
export async function serveMetrics(
  served: SessionMetrics & { port: number },
  handoff: Handoff,
): Promise<MetricsServer> {
  const { metrics, host } = served;
  const server = createServer((req, res) => void answer(metrics, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(served.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(
      `--metrics-port: cannot listen on ${host}:${served.port} (${error.code ?? error.message}): choose another port, or 0 for any free one`,
    );
  });
  // Never the reason the process stays up: the session closes it, and an error path must not hang.
  server.unref();
  metrics.attach({ handoff });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  process.stderr.write(`metrics: ${url}\n`);
  return {
    url,
    async close() {
      metrics.close();
      await closeServer(server);
    },
  };
}

async function answer(metrics: Metrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') return reply(res, 404, 'not found: metrics are at /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return reply(res, 405, 'method not allowed\n');
  }
  try {
    const text = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  } catch (error) {
    // A scrape never takes the run down: the store parts already degrade inside render().
    reply(res, 500, `metrics failed: ${(error as Error).message}\n`);
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** Stops listening and drops idle keep-alive connections (Prometheus keeps one open between scrapes). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
