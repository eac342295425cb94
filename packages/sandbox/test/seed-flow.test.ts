import { describe, expect, it } from 'vitest';
import { API, alice, policy, start } from './helpers.js';

describe('the import guide, request by request', () => {
  it('Alice (US, SSN, no phone number) ends verified for offramp after one poll', async () => {
    const { call } = await start();
    const legal = await call('PUT', `${API}/users/userId:alice-1/legal-documents`, policy);
    expect(legal).toMatchObject({ status: 200, body: { acceptedAt: '2026-01-01T00:00:00.000Z' } });

    const upsert = await call('PUT', `${API}/users/userId:alice-1`, alice);
    expect(upsert.status).toBe(201);
    expect(upsert.body).toMatchObject({
      userId: 'alice-1',
      userDetails: true,
      kycData: true,
      dueDiligence: false,
      verificationHistory: true,
    });

    const trigger = await call('PUT', `${API}/users/userId:alice-1/identity-verification`);
    expect(trigger).toMatchObject({
      status: 200,
      body: {
        eligibility: [
          { type: 'onramp', status: 'pending-review' },
          { type: 'onramp-light', status: 'pending-review' },
          { type: 'offramp', status: 'pending-review' },
          { type: 'regulated-transfer', status: 'pending-review' },
        ],
      },
    });

    const poll = await call('GET', `${API}/users/userId:alice-1/identity-verification`);
    expect(poll).toEqual(
      expect.objectContaining({
        status: 200,
        body: {
          eligibility: [
            { type: 'onramp', status: 'verified' },
            { type: 'onramp-light', status: 'verified' },
            { type: 'offramp', status: 'verified' },
            { type: 'regulated-transfer', status: 'verified' },
          ],
        },
      }),
    );
  });
});
