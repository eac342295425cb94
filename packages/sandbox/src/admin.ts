import {
  PRODUCT_TYPES,
  type ProductType,
  VERIFICATION_STATUSES,
  type VerificationStatus,
} from '@kyc-handoff/core';
import type { SandboxApp, SandboxRequest } from './app.js';
import { clockStepProblem } from './options.js';
import { error, json, type Reply } from './reply.js';

export const ADMIN_PREFIX = '/__sandbox/';

/**
 * The operator's API. No auth, because it only ever listens where the sandbox does (loopback by
 * default), and it is deliberately outside /api/ so no client base URL can reach it by accident.
 */
export function adminRoute(
  app: SandboxApp,
  method: string,
  path: string,
  query: string,
  req: SandboxRequest,
): Reply {
  const rest = path.slice(ADMIN_PREFIX.length);
  const parts = rest.split('/');
  const route = `${method} ${parts[0] === 'users' ? `users/{locator}${parts.length > 2 ? `/${parts.slice(2).join('/')}` : ''}` : rest}`;
  switch (route) {
    case 'GET stats':
      return json(200, app.stats());
    case 'POST reset':
      app.reset();
      return json(200, { reset: true });
    case 'GET config':
      return json(200, app.config());
    case 'PUT config':
      return withBody(req, (body) => {
        try {
          return json(200, app.configure(body as never));
        } catch (e) {
          return error(400, (e as Error).message);
        }
      });
    case 'GET clock':
      return json(200, { now: new Date(app.now()).toISOString() });
    case 'POST clock/advance':
      return withBody(req, (body) => {
        const ms = (body as { ms?: unknown } | null)?.ms;
        const problem = clockStepProblem(ms, app.now());
        if (problem !== undefined) return error(400, problem);
        return json(200, { now: new Date(app.advanceClock(ms as number)).toISOString() });
      });
    case 'GET users/{locator}': {
      const apiKey = apiKeyOf(req, query, undefined);
      if (apiKey === undefined) return error(400, 'apiKey query parameter or X-API-KEY header is required');
      const view = app.user(apiKey, parts[1] ?? '');
      return view === undefined ? error(404, 'user not found') : json(200, view);
    }
    case 'POST users/{locator}/status':
      return withBody(req, (body) => forceStatus(app, req, query, parts[1] ?? '', body));
  }
  return knownPath(rest) ? error(405, 'method not allowed') : error(404, 'no such admin route');
}

function knownPath(rest: string): boolean {
  return (
    ['stats', 'reset', 'config', 'clock', 'clock/advance'].includes(rest) ||
    /^users\/[^/]+(\/status)?$/.test(rest)
  );
}

/** Only the parse is guarded: an error thrown by `then` is a bug, never "invalid JSON". */
function withBody(req: SandboxRequest, then: (body: unknown) => Reply): Reply {
  const text = req.body.toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    return error(400, 'body must be valid JSON');
  }
  return then(body);
}

function apiKeyOf(req: SandboxRequest, query: string, body: unknown): string | undefined {
  const fromQuery = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query).get('apiKey');
  if (fromQuery) return fromQuery;
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const fromBody = (body as { apiKey?: unknown } | null)?.apiKey;
  return typeof fromBody === 'string' && fromBody !== '' ? fromBody : undefined;
}

function forceStatus(
  app: SandboxApp,
  req: SandboxRequest,
  query: string,
  locator: string,
  body: unknown,
): Reply {
  const apiKey = apiKeyOf(req, query, body);
  if (apiKey === undefined) return error(400, 'apiKey (query, X-API-KEY header or body) is required');
  const b = (body ?? {}) as {
    status?: unknown;
    product?: unknown;
    missingData?: unknown;
    missingDocuments?: unknown;
  };
  if (!VERIFICATION_STATUSES.includes(b.status as VerificationStatus)) {
    return error(400, `status must be one of ${VERIFICATION_STATUSES.join(', ')}`);
  }
  if (b.product !== undefined && !PRODUCT_TYPES.includes(b.product as ProductType)) {
    return error(400, `product must be one of ${PRODUCT_TYPES.join(', ')}`);
  }
  const missing: { missingData?: string[]; missingDocuments?: string[] } = {};
  for (const key of ['missingData', 'missingDocuments'] as const) {
    const v = b[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      return error(400, `${key} must be a list of strings`);
    missing[key] = v;
  }
  const ok = app.forceStatus(
    apiKey,
    locator,
    b.status as VerificationStatus,
    b.product as ProductType | undefined,
    missing,
  );
  return ok ? json(200, { forced: true }) : error(404, 'user not found');
}
