import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Outcome, SandboxApp, type SandboxRequest } from './app.js';
import type { SandboxOptions } from './options.js';
import { error, type Reply } from './reply.js';

/** Above the 10 MB image limit once base64-encoded, with room for the JSON around it. */
const MAX_BODY_BYTES = 15 * 1024 * 1024;

export interface ListenOptions {
  port?: number | undefined;
  host?: string | undefined;
}

export interface Sandbox
  extends Pick<
    SandboxApp,
    'advanceClock' | 'now' | 'stats' | 'user' | 'reset' | 'configure' | 'config' | 'forceStatus'
  > {
  readonly app: SandboxApp;
  /** A node:http request listener, for mounting the sandbox in an existing server. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Resolves with `url` such as `http://127.0.0.1:4010`; clients use `${url}/api` as base URL. */
  listen(options?: ListenOptions): Promise<{ url: string; host: string; port: number }>;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const app = new SandboxApp(options);
  const hung = new Set<{ timer: NodeJS.Timeout; socket: Socket }>();
  let server: Server | undefined;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
      // Fast path for GETs and the body-less trigger: no stream bookkeeping.
      req.resume();
      act(handle(app, { method, url: req.url ?? '/', headers: req.headers, body: EMPTY }), req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        send(res, { status: 413, body: { error: true, message: 'body is larger than 15 MB' } });
        return;
      }
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      act(handle(app, { method, url: req.url ?? '/', headers: req.headers, body }), req, res);
    });
  };

  const act = (outcome: Outcome, req: IncomingMessage, res: ServerResponse) => {
    switch (outcome.type) {
      case 'reply':
        if (outcome.delayMs > 0) setTimeout(() => send(res, outcome.reply), outcome.delayMs);
        else send(res, outcome.reply);
        return;
      case 'destroy':
        if (outcome.delayMs > 0) setTimeout(() => req.socket.destroy(), outcome.delayMs);
        else req.socket.destroy();
        return;
      case 'hang': {
        const entry = {
          socket: req.socket,
          timer: setTimeout(() => {
            hung.delete(entry);
            req.socket.destroy();
          }, outcome.ms),
        };
        hung.add(entry);
        return;
      }
    }
  };

  return {
    app,
    handler,
    advanceClock: (ms) => app.advanceClock(ms),
    now: () => app.now(),
    stats: () => app.stats(),
    user: (apiKey, locator) => app.user(apiKey, locator),
    reset: () => app.reset(),
    configure: (patch) => app.configure(patch),
    config: () => app.config(),
    forceStatus: (...args) => app.forceStatus(...args),
    listen({ port = 0, host = '127.0.0.1' } = {}) {
      if (server !== undefined) return Promise.reject(new Error('sandbox is already listening'));
      const s = createServer({ keepAlive: true }, handler);
      server = s;
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          const address = s.address();
          const actualPort = typeof address === 'object' && address !== null ? address.port : port;
          const urlHost = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `http://${urlHost}:${actualPort}`, host, port: actualPort });
        });
      });
    },
    close() {
      for (const entry of hung) {
        clearTimeout(entry.timer);
        entry.socket.destroy();
      }
      hung.clear();
      const s = server;
      server = undefined;
      if (s === undefined) return Promise.resolve();
      return new Promise((resolve, reject) => {
        s.close((err) => (err ? reject(err) : resolve()));
        s.closeAllConnections();
      });
    },
  };
}

const EMPTY = Buffer.alloc(0);

/** A bug in one request answers 500 (naming only the error class) instead of ending the process. */
function handle(app: SandboxApp, req: SandboxRequest): Outcome {
  try {
    return app.handle(req);
  } catch (e) {
    const name = e instanceof Error ? e.name : 'error';
    return { type: 'reply', reply: error(500, `the sandbox failed on this request (${name})`), delayMs: 0 };
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
