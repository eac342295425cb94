/**
 * What one Crossmint call reports when it ends: structurally the HTTP client's `DebugInfo`, so this
 * package needs no dependency on the client. Holds no key and no body.
 */
export interface CallInfo {
  method: string;
  /** The API path after the base URL: it names the user locator, so it never becomes a label as is. */
  path: string;
  status?: number | undefined;
  durationMs: number;
  errorKind?: string | undefined;
  attempts?: number | undefined;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'PATCH', 'DELETE']);
/** `/2025-06-09/…`: the API version the client prefixes every path with. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}$/;
const USER_SUBRESOURCES = new Set(['legal-documents', 'identity-verification']);

/**
 * The route template of a call, e.g. `PUT /users/{locator}/identity-verification`, as the sandbox
 * names its routes. A locator or document id never reaches a label: one series per user would
 * explode Prometheus and publish who is being onboarded. A path of no known shape is `other`.
 */
export function routeOf(method: string, path: string): string {
  const verb = METHODS.has(method) ? method : 'OTHER';
  const segments = (path.split('?')[0] ?? '').split('/').filter((s) => s !== '');
  if (segments[0] !== undefined && API_VERSION.test(segments[0])) segments.shift();
  return `${verb} ${templateOf(segments)}`;
}

function templateOf(segments: readonly string[]): string {
  const [first, , sub] = segments;
  if (first === 'users') {
    if (segments.length === 2) return '/users/{locator}';
    if (segments.length === 3 && sub !== undefined && USER_SUBRESOURCES.has(sub))
      return `/users/{locator}/${sub}`;
  }
  if (first === 'documents') {
    if (segments.length === 1) return '/documents';
    if (segments.length === 2) return '/documents/{id}';
  }
  return 'other';
}

/** Error kinds are a closed set of short words; anything else is `error`, never free text. */
const ERROR_KIND = /^[a-z][a-z-]{0,31}$/;

/** The `status` label: the HTTP status, or the error kind of a call that got no answer. */
export function statusOf(info: Pick<CallInfo, 'status' | 'errorKind'>): string {
  if (info.status !== undefined && Number.isInteger(info.status) && info.status >= 100 && info.status < 600) {
    return String(info.status);
  }
  return info.errorKind !== undefined && ERROR_KIND.test(info.errorKind) ? info.errorKind : 'error';
}

/** The budget a call spends, as the engine's lanes: reads are GETs, everything else writes. */
export function budgetOf(method: string): 'read' | 'write' {
  return method === 'GET' ? 'read' : 'write';
}
