import { request } from 'undici';
import { afterEach } from 'vitest';
import { createSandbox, type Sandbox, type SandboxOptions } from '../src/index.js';

export const KEY = 'sk_staging_test_key_1';
export const API = '/api/2025-06-09';

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

export interface Call {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert response bodies structurally
  body: any;
}

/** A running sandbox on an ephemeral loopback port with a tiny client around undici.request. */
export async function start(options: SandboxOptions = {}) {
  const sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, seed: 1, ...options });
  open.push(sandbox);
  const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const call = async (
    method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Call> => {
    const res = await request(`${url}${path}`, {
      method,
      headers: {
        'x-api-key': KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.statusCode, headers: res.headers, body: parsed };
  };
  return { sandbox, url, call };
}

export const alice = {
  userDetails: { firstName: 'Alice', lastName: 'Smith', dateOfBirth: '1990-01-15', countryOfResidence: 'US' },
  kycData: {
    email: 'alice@example.com',
    nationality: 'US',
    addressOfResidence: { line1: '701 S Miami Ave', city: 'Miami', postalCode: '33156', stateOrRegion: 'FL' },
    identityDocument: { type: 'ssn', number: '123-45-6789', issuingCountryCode: 'US' },
  },
  verificationHistory: {
    idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
    livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
  },
};

export const policy = { type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00.000Z' };

export const PNG = 'data:image/png;base64,iVBORw0KGgo=';

export function statusOf(body: { eligibility: { type: string; status: string }[] }, product = 'offramp') {
  return body.eligibility.find((e) => e.type === product)?.status;
}
