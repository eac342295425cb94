import type { InputRecord } from '@kyc-handoff/core';
import { sampleRecord } from '@kyc-handoff/core/testing';

export const API_KEY = 'sk_staging_kyc_handoff_bench_0001';

/** Every `rejectedEvery`-th user (0 = none) gets the sandbox's magic last name `Rejected`. */
export function benchRecord(prefix: string, i: number, rejectedEvery = 0): InputRecord {
  const base = sampleRecord();
  const lastName = rejectedEvery > 0 && i % rejectedEvery === 0 ? 'Rejected' : 'Smith';
  return sampleRecord({ userId: userIdOf(prefix, i), userDetails: { ...base.userDetails!, lastName } });
}

export const userIdOf = (prefix: string, i: number) => `${prefix}-${i}`;
export const locatorOf = (userId: string) => `userId:${userId}`;
