/** SQLSTATEs of a server that ended the session (pg_terminate_backend, shutdown, crash recovery). */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);
const CLIENT_MESSAGES = /Connection terminated|not queryable|connection error|Connection ended/i;

/**
 * Whether an error means the connection went away (rather than the statement being wrong). The
 * pool drops such clients, so the next attempt gets a fresh connection.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SESSION_ENDED.has(code) || SOCKET_CODES.has(code))) return true;
  return CLIENT_MESSAGES.test(error.message);
}

/** A deadlock between two group commits: the whole transaction was rolled back, so retrying is safe. */
export function isDeadlock(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === '40P01';
}
