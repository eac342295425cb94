import { describeIssues } from '@kyc-handoff/core';

/** What a route decides; the server turns it into bytes (or into a fault). */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers === undefined ? { status, body } : { status, body, headers };
}

/** Crossmint's error shape. Messages name fields and rules, never the submitted values. */
export function error(status: number, message: string, headers?: Record<string, string>): Reply {
  return json(status, { error: true, message }, headers);
}

/** The schema error type, taken from core so this package needs no direct zod dependency. */
type SchemaError = Parameters<typeof describeIssues>[0];

export function invalidBody(zodError: SchemaError): Reply {
  const message = describeIssues(zodError)
    .map((i) => `${i.field === '(record)' ? 'body' : i.field} ${i.reason}`)
    .join('; ');
  return error(400, message);
}
