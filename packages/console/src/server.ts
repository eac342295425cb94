import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { retryMatching, retryOne } from './actions.js';
import { htmxSource } from './assets.js';
import type { ConsoleContext } from './context.js';
import { actionGuard, hostCheck } from './guard.js';
import { type Html, html } from './html.js';
import { live, page, type Viewer } from './layout.js';
import type { ConsoleOptions } from './options.js';
import { userPath } from './pages/links.js';
import { MACHINE_LEGEND, machineContent } from './pages/machine.js';
import { overviewContent } from './pages/overview.js';
import { queuesContent, retryAllForm } from './pages/queues.js';
import { unknownUser, userContent } from './pages/user.js';
import { createReadings } from './readings.js';
import { ThroughputSamples } from './samples.js';
import { newToken, sameToken, tokenCookieName } from './token.js';

/** The console as an app: serve `app.fetch` anywhere, or call `app.request()` in a test. */
export interface Console {
  app: Hono;
  /** The token actions must carry: the one given, or a fresh random one. */
  token: string;
  /**
   * Resolves once the counts pages show have been read once (or after `timeoutMs`, or when a read
   * failed: pages then try again), so the first page need not wait for them: on 10^6 onboardings in
   * PostgreSQL the first counts take about a second.
   */
  ready(timeoutMs: number): Promise<void>;
}

/** The console's Hono app over a store and its engine. startConsole serves it on a socket. */
export function createConsole(options: ConsoleOptions): Console {
  return createConsoleWith(options, () => options.allowedHosts);
}

/** createConsole, with the accepted Host values read at each request (known once the port is bound). */
export function createConsoleWith(
  options: ConsoleOptions,
  allowedHosts: () => readonly string[] | undefined,
): Console {
  const token = options.token ?? newToken();
  if (token.length < 16)
    throw new RangeError('console token must be at least 16 characters (or omit it for a random one)');
  const readOnly = options.readOnly === true;
  const now = options.now ?? Date.now;
  const samples = new ThroughputSamples();
  const ctx: ConsoleContext = {
    store: options.store,
    handoff: options.handoff,
    now,
    samples,
    // A throughput sample per count actually read, at the time it was read: a page that shows a
    // reused reading adds none.
    readings: createReadings(options.handoff, options.store, {
      onStats: (stats) => samples.record(now(), stats.states),
    }),
    readOnly,
  };
  ctx.readings.warm();
  const cookie = tokenCookieName(token);

  /**
   * Who is looking. Opening the printed `?token=` address stores the token in an HttpOnly,
   * SameSite=Strict cookie and redirects to the address without it (out of the address bar and
   * history); pages for that browser then send it as the action header. Answers undefined and a
   * redirect is due when the address carried the right token.
   */
  function viewerOf(c: Context): Viewer | Response {
    const given = c.req.query('token');
    if (given !== undefined && sameToken(token, given)) {
      setCookie(c, cookie, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    return {
      token: sameToken(token, getCookie(c, cookie)) ? token : undefined,
      readOnly,
      staleToken: given !== undefined,
    };
  }

  const app = new Hono();
  app.use('*', hostCheck(allowedHosts));
  app.use('*', actionGuard(token, readOnly));

  app.get('/assets/htmx.min.js', async (c) => {
    c.header('cache-control', 'public, max-age=3600');
    return c.body(await htmxSource(), 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });

  /** A page whose main part (`content`) refreshes itself from `livePath`; `above` stays as loaded. */
  function livePage(spec: {
    path: string;
    title: string;
    livePath: string;
    content: () => Promise<Html>;
    above?: () => Promise<Html>;
  }) {
    app.get(spec.path, async (c) => {
      const viewer = viewerOf(c);
      if (viewer instanceof Response) return viewer;
      const [above, content] = await Promise.all([spec.above?.() ?? html``, spec.content()]);
      const body = html`${above}${live('live', spec.livePath, content)}`;
      return c.html(page(spec.title, spec.path, viewer, body).text);
    });
    app.get(spec.livePath, async (c) => c.html((await spec.content()).text));
  }

  livePage({ path: '/', title: 'Overview', livePath: '/live/overview', content: () => overviewContent(ctx) });
  livePage({
    path: '/machine',
    title: 'The machine',
    livePath: '/live/machine',
    content: () => machineContent(ctx),
    above: async () => MACHINE_LEGEND,
  });
  livePage({
    path: '/queues',
    title: 'Queues',
    livePath: '/live/queues',
    content: () => queuesContent(ctx),
    // The retry-all form sits outside the live part, so a refresh never resets a choice in progress.
    above: () => retryAllForm(ctx),
  });

  app.get('/users', (c) => {
    const id = (c.req.query('id') ?? '').trim();
    return c.redirect(id === '' ? '/' : userPath(id), 303);
  });
  app.get('/users/:id', async (c) => {
    const viewer = viewerOf(c);
    if (viewer instanceof Response) return viewer;
    const userId = c.req.param('id');
    const content = await userContent(ctx, userId);
    if (content === undefined)
      return c.html(page(`User ${userId}`, '', viewer, unknownUser(userId)).text, 404);
    const livePath = `/live${userPath(userId)}`;
    return c.html(page(`User ${userId}`, '', viewer, live('live', livePath, content)).text);
  });
  app.get('/live/users/:id', async (c) => {
    const userId = c.req.param('id');
    const content = await userContent(ctx, userId);
    return content === undefined ? c.html(unknownUser(userId).text, 404) : c.html(content.text);
  });

  app.post('/users/:id/retry', async (c) => {
    const answer = await retryOne(ctx, c.req.param('id'));
    return c.html(answer.body.text, answer.status);
  });
  app.post('/queues/failed/retry', async (c) => {
    const form = await c.req.parseBody();
    const kind = typeof form.kind === 'string' && form.kind !== '' ? form.kind : undefined;
    if (kind === undefined)
      return c.html(html`<span class="bad">Not retried: choose an error kind.</span>`.text, 400);
    const answer = await retryMatching(ctx, kind);
    return c.html(answer.body.text, answer.status);
  });

  app.get('/metrics', async (c) => {
    if (options.metrics === undefined) {
      return c.text(
        'metrics are not enabled on this console: the embedding code passes `metrics` (createMetrics) to createConsole\n',
        404,
      );
    }
    return c.body(await options.metrics.render(), 200, { 'content-type': options.metrics.contentType });
  });

  app.notFound((c) =>
    c.text(
      `no page ${c.req.path} on this console: see / (overview), /machine, /queues, /users/USER_ID\n`,
      404,
    ),
  );
  app.onError((error, c) =>
    c.text(`the console could not answer ${c.req.method} ${c.req.path}: ${error.message}\n`, 500),
  );
  return { app, token, ready: (timeoutMs) => ctx.readings.ready(timeoutMs) };
}
