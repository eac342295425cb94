import type { MiddlewareHandler } from 'hono';
import { html } from './html.js';
import { sameToken } from './token.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `host:port` → its host part, lower case (`[::1]:4300` → `[::1]`). */
const hostnameOf = (host: string) => host.toLowerCase().replace(/:\d+$/, '');

/**
 * Whether a Host header names this console. A page of evil.example whose name was re-pointed at
 * 127.0.0.1 (DNS rebinding) reaches the socket with `Host: evil.example`, so naming the console's
 * own address is what proves the browser meant to talk to it. Without an explicit list, any port of
 * a loopback name is accepted.
 */
export function hostAllowed(host: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (host === undefined || host === '') return false;
  if (allowed === undefined) return LOOPBACK_NAMES.has(hostnameOf(host));
  return allowed.some((a) => a.toLowerCase() === host.toLowerCase());
}

/** Refuses requests whose Host header is not the console's (403), and sets headers every answer needs. */
export function hostCheck(allowed: () => readonly string[] | undefined): MiddlewareHandler {
  return async (c, next) => {
    // app.request() in a test makes a Request without a Host header: its URL's host stands in.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    const list = allowed();
    if (!hostAllowed(host, list)) {
      return c.text(
        `refused: the Host header ${JSON.stringify(host)} does not name this console${
          list === undefined ? ' (use localhost or 127.0.0.1)' : ` (use ${list.join(' or ')})`
        }; open the address the console printed\n`,
        403,
      );
    }
    await next();
    const headers = c.res.headers;
    // Pages are the operator's, live, and carry a token once unlocked: never cached, framed, or
    // referred elsewhere; scripts only from the console itself.
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
    headers.set(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    headers.set('x-frame-options', 'DENY');
    headers.set('x-content-type-options', 'nosniff');
    headers.set('referrer-policy', 'no-referrer');
  };
}

/**
 * Every request but GET and HEAD is an action: refused with 403 in read-only mode, and without the
 * header X-Console-Token equal to the token. A cross-site page can make the browser POST a form but
 * cannot add this header (that needs CORS, which the console never grants), so an action cannot be
 * forged from another site (CSRF) even though pages are viewable without the token.
 */
export function actionGuard(token: string, readOnly: boolean): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (readOnly) {
      return c.html(
        html`<span class="bad">Refused: this console is read-only (--read-only); nothing was changed.</span>`
          .text,
        403,
      );
    }
    if (!sameToken(token, c.req.header('x-console-token'))) {
      return c.html(
        html`<span class="bad">Refused: actions need the token printed when the console started (open the printed address with ?token=…, or send the header X-Console-Token); nothing was changed.</span>`
          .text,
        403,
      );
    }
    return next();
  };
}
