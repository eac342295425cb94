/**
 * Every way a Crossmint call can fail, classified once so the machine can decide: retry after a
 * wait (`rate-limited`, `transient`), stop for an operator (the rest). Messages name the operation
 * and path, never a request body or the API key.
 */
export type CrossmintError =
  | { kind: 'rate-limited'; retryAfterMs: number; message: string }
  | {
      kind: 'transient';
      message: string;
      status?: number;
      /**
       * Set when no answer came at all (a refused connection, a failed DNS lookup, a timeout): the
       * transport's code, e.g. ECONNREFUSED. Absent for an answer with a status.
       */
      noAnswer?: string;
    }
  | { kind: 'invalid-data'; message: string; status: number }
  | { kind: 'unauthorized'; message: string; status: number }
  | { kind: 'not-enabled'; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'unexpected-response'; message: string; status?: number };

export type CrossmintErrorKind = CrossmintError['kind'];

export const CROSSMINT_ERROR_KINDS = [
  'rate-limited',
  'transient',
  'invalid-data',
  'unauthorized',
  'not-enabled',
  'not-found',
  'unexpected-response',
] as const satisfies readonly CrossmintErrorKind[];
