import { describe, expect, it } from 'vitest';
import { createSandboxApp } from './index.js';

const headers = { 'x-api-key': 'sk_staging_in_process' };
const body = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('SandboxApp without sockets', () => {
  it('handle() returns the reply, and stores the older `state` spelling as stateOrRegion', () => {
    const app = createSandboxApp({ seed: 3 });
    const outcome = app.handle({
      method: 'PUT',
      url: '/api/2025-06-09/users/userId%3Ain-proc',
      headers,
      body: body({
        userDetails: { firstName: 'A', lastName: 'B', dateOfBirth: '1990-01-15', countryOfResidence: 'US' },
        kycData: {
          email: 'a@example.com',
          addressOfResidence: { line1: '1 Main', city: 'Austin', postalCode: '73301', state: 'TX' },
        },
      }),
    });
    expect(outcome).toMatchObject({
      type: 'reply',
      reply: { status: 201, body: { userId: 'in-proc', kycData: true } },
    });
    expect(app.user(headers['x-api-key'], 'userId:in-proc')?.sections.kycData?.addressOfResidence).toEqual({
      line1: '1 Main',
      city: 'Austin',
      postalCode: '73301',
      stateOrRegion: 'TX',
    });
  });

  it('faults come back as data: lost-response applies the write and asks the transport to drop', () => {
    const app = createSandboxApp();
    const outcome = app.handle({
      method: 'PUT',
      url: '/api/2025-06-09/users/userId:lr/legal-documents',
      headers: { ...headers, 'x-sandbox-fault': 'lost-response' },
      body: body({ type: 'crossmint-privacy-policy', acceptedAt: '2026-01-01T00:00:00.000Z' }),
    });
    expect(outcome).toEqual({ type: 'destroy', delayMs: 0 });
    expect(app.user(headers['x-api-key'], 'userId:lr')?.writes.legalDocuments).toBe(1);
  });

  it('a non-userId locator gets a minted id that the seed makes repeatable', () => {
    const mint = () =>
      createSandboxApp({ seed: 9 }).handle({
        method: 'PUT',
        url: '/api/2025-06-09/users/email:someone@example.com',
        headers,
        body: body({}),
      });
    const a = mint();
    expect(a).toMatchObject({ reply: { body: { userId: expect.stringMatching(/^usr_[0-9a-f]{20}$/) } } });
    expect(mint()).toEqual(a);
  });
});
