import { sampleEuRecord, sampleRecord } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { intake, parseSubmission } from './intake.js';
import { seedFor } from './seed.js';

const settings = { targets: ['offramp'] as const, precheck: true };

describe('intake', () => {
  it('accepts a complete record as a new onboarding in policyPending, due at once, seeded by its user id', () => {
    const record = sampleEuRecord({ userId: 'eu-1' });
    const taken = intake(record, settings, 1_000);
    expect(taken.accepted).toBe(true);
    if (!taken.accepted) return;
    expect(taken.onboarding).toMatchObject({ state: 'policyPending', wakeAt: 1_000, machineVersion: 1 });
    const context = taken.onboarding.snapshot.context as { seed: number; pendingDocuments: string[] };
    expect(context.seed).toBe(seedFor('eu-1'));
    expect(context.pendingDocuments).toEqual(['id-idcard-front', 'id-idcard-back', 'selfie-front']);
  });

  it('refuses a record its region check says is incomplete, unless the precheck is off', () => {
    const { documents: _, ...withoutDocuments } = sampleEuRecord({ userId: 'eu-2' });
    expect(intake(withoutDocuments, settings, 0)).toEqual({
      accepted: false,
      result: { userId: 'eu-2', status: 'incomplete', missingData: [], missingDocuments: ['id', 'selfie'] },
    });
    expect(intake(withoutDocuments, { ...settings, precheck: false }, 0).accepted).toBe(true);
  });

  it('is pure: the same record at the same time gives the same onboarding', () => {
    const record = sampleRecord({ userId: 'same' });
    expect(intake(record, settings, 5)).toEqual(intake(record, settings, 5));
  });

  it('parseSubmission names the field and keeps a readable user id, never a value', () => {
    const parsed = parseSubmission({
      ...sampleRecord({ userId: 'bad-1' }),
      privacyPolicyAcceptedAt: 'yesterday',
    });
    expect(parsed).toEqual({
      ok: false,
      result: {
        userId: 'bad-1',
        status: 'invalid',
        issues: [expect.objectContaining({ field: 'privacyPolicyAcceptedAt' })],
      },
    });
    expect(JSON.stringify(parsed)).not.toContain('yesterday');
  });
});
